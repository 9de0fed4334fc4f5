/**
 * The peers `npm run bench` holds callwake against, served by the Functions emulator as a second
 * codebase (firebase.bench.json) with the same build and the same fake providers; never deployed.
 * - floor: what the ring path cannot avoid, and nothing else.
 * - seedRingNaive / seedRingCompetent / seedStatus: the system the seed guides describe, as its
 *   code stands (one user after another) and as a competent engineer writes it (all at once).
 */
export { floor } from './floor';
export { seedRingCompetent, seedRingNaive, seedStatus } from './seeds';
