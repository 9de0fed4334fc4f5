import assert from 'node:assert/strict';
import fc from 'fast-check';
import { memoryBackend } from '../../sim/backend';
import { emptyCounts } from '../../sim/faults';
import { runSimulation, summary } from '../../sim/runner';
import { scenarioArb } from '../../sim/scenario';
import { SIM_SEED } from '../../sim/seeds';
import { simulate } from '../../sim/simulate';

const SCHEDULES = Number(process.env.CALLWAKE_SIM_SCHEDULES ?? 300);
// Mutation testing wants the first failure fast, not its smallest form.
const NO_SHRINK = process.env.CALLWAKE_SIM_NO_SHRINK === '1';

describe('deterministic simulation (fixed seed, in-memory stores)', function () {
  // CPU-bound: a bound for a loaded 2-core machine, not a speed goal.
  this.timeout(20 * 60_000);

  it(`keeps every invariant over ${SCHEDULES} schedules of faults (seed ${SIM_SEED})`, async () => {
    const report = await runSimulation(SIM_SEED, SCHEDULES, { noShrink: NO_SHRINK });
    console.log(summary(report).replace(/^/gm, '      '));
    assert.equal(report.failure, null, JSON.stringify(report.failure, null, 2));
    assert.equal(report.schedules, SCHEDULES);
  });

  it('replays a schedule exactly: the same pushes, writes and answers at the same times', async () => {
    const trace = async (scenario: (typeof scenarios)[number]) => {
      const { world, violations } = await simulate(scenario, emptyCounts(), {
        backend: memoryBackend,
        tenant: 't',
      });
      return JSON.stringify([
        world.providers.records,
        world.landed.map((l) => [l.at, l.runId, l.method]),
        world.pbxReplies,
        violations,
      ]);
    };
    const scenarios = fc.sample(scenarioArb, { seed: SIM_SEED, numRuns: 20 });
    for (const scenario of scenarios) assert.equal(await trace(scenario), await trace(scenario));
  });
});
