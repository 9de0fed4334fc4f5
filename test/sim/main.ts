/**
 * `npm run test:sim [-- --schedules N --seed S|random]`: the long simulation run (10,000
 * schedules from a fixed seed by default). Prints what it ran, the faults it injected and the
 * figures the invariants bound, and exits non-zero on a violation, with the schedule that broke
 * it (shrunk) and its seed for replay (test/sim/replay.ts).
 */
import { runSimulation, summary } from './runner';
import { LONG_RUN_SEED } from './seeds';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const raw = process.argv[at + 1];
  const value = raw === 'random' ? Date.now() % 2_147_483_647 : Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`--${name} must be a positive integer${name === 'seed' ? ' or random' : ''}`);
  return value;
};

const schedules = arg('schedules', 10_000);
const seed = arg('seed', LONG_RUN_SEED);
const noShrink = process.argv.includes('--no-shrink');
const started = Date.now();
console.log(`simulation: ${schedules} schedules from seed ${seed}`);
void runSimulation(seed, schedules, { noShrink }).then((report) => {
  console.log(summary(report));
  console.log(`simulation: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (report.failure) {
    console.log(JSON.stringify(report.failure, null, 2));
    process.exit(1);
  }
});
