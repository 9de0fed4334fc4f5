/**
 * The peers `npm run bench` holds callwake against, served by the Functions emulator as a second
 * codebase (firebase.bench.json) with the same build and the same fake providers; never deployed.
 * - floor: what the ring path cannot avoid, and nothing else.
 * - seedRing / seedStatus: the system the seed guides describe, as a user of them would write it.
 */
export { floor } from './floor';
export { seedRing, seedStatus } from './seeds';
