import assert from 'node:assert/strict';
import { runOnFirestore } from '../sim/firestoreRun';
import { summary } from '../sim/runner';
import { SIM_SEED } from '../sim/seeds';
import { requireEmulators } from '../support/emulator';

const SCHEDULES = Number(process.env.CALLWAKE_SIM_FIRESTORE_SCHEDULES ?? 200);
const LANES = 4;

// The simulation's schedules on the Firestore stores: their transactions, queries and
// listeners on the emulator are part of the proof, not only the in-memory doubles. Each lane
// works on a project of its own, which no emulated function watches.
describe('deterministic simulation on the Firestore stores (emulator)', function () {
  // Bounded for a loaded 2-core machine; it waits on the emulator, not on a clock.
  this.timeout(30 * 60_000);

  it(`keeps every invariant over ${SCHEDULES} schedules (seed ${SIM_SEED})`, async () => {
    requireEmulators();
    const report = await runOnFirestore(SIM_SEED, SCHEDULES, LANES);
    console.log(summary(report).replace(/^/gm, '      '));
    assert.equal(report.failure, null, JSON.stringify(report.failure, null, 2));
    assert.equal(report.schedules, SCHEDULES);
  });
});
