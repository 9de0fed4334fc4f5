import assert from 'node:assert/strict';
import { runSimulation, summary } from '../../sim/runner';

/** Fixed seed: the same schedules on every run of `npm test` (npm run test:sim runs 10,000). */
const SEED = 20_261_201;
const SCHEDULES = Number(process.env.CALLWAKE_SIM_SCHEDULES ?? 250);

describe('deterministic simulation of the core (fixed seed)', function () {
  this.timeout(120_000);

  it(`keeps every invariant over ${SCHEDULES} schedules of faults`, async () => {
    const report = await runSimulation(SEED, SCHEDULES);
    console.log(`      ${summary(report)}`);
    assert.equal(report.failure, null, JSON.stringify(report.failure, null, 2));
    assert.equal(report.schedules, SCHEDULES);
  });
});
