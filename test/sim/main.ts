/**
 * `npm run test:sim [-- --schedules N --seed S]`: the long simulation run (10,000 schedules by
 * default). Prints what it ran and exits non-zero on a violation, with the schedule that
 * broke it (shrunk) and its seed for replay.
 */
import { runSimulation, summary } from './runner';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`--${name} must be a positive integer`);
  return value;
};

const schedules = arg('schedules', 10_000);
const seed = arg('seed', Date.now() % 2_147_483_647);
const started = Date.now();
void runSimulation(seed, schedules).then((report) => {
  console.log(summary(report));
  console.log(`simulation: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (report.failure) {
    console.log(JSON.stringify(report.failure, null, 2));
    process.exit(1);
  }
});
