import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { initializeApp } from 'firebase-admin/app';
import { getFirestore, type Firestore } from 'firebase-admin/firestore';
import { firestoreBackend } from './backend';
import { addCounts, emptyCounts } from './faults';
import { addStats, type SimulationReport } from './runner';
import { scenarioArb } from './scenario';
import { simulate, zeroStats } from './simulate';
import { PROJECT_ID } from '../support/project';

/** One lane: a database of its own (a project id of its own on the emulator), one schedule at a time. */
interface Lane {
  project: string;
  db: Firestore;
}

function lane(index: number): Lane {
  const project = `${PROJECT_ID}-sim-${index}`;
  const app = initializeApp(
    { projectId: project },
    `sim-${index}-${randomBytes(4).toString('hex')}`,
  );
  const db = getFirestore(app);
  db.settings({ ignoreUndefinedProperties: true });
  return { project, db };
}

/** Empties a lane's database between schedules: the expiry job's queries span every tenant. */
async function clear(project: string): Promise<void> {
  const host = process.env.FIRESTORE_EMULATOR_HOST;
  if (!host) throw new Error('FIRESTORE_EMULATOR_HOST is not set: run this on the emulator.');
  const url = `http://${host}/emulator/v1/projects/${project}/databases/(default)/documents`;
  // The emulator's clearData is a commit, and a commit that meets a listen stream closing at
  // that moment throws after its deletes (CloudFirestoreV1.clearData → commitHelper →
  // notifySynced, "Stream is already completed"; functions/store/listeners.ts): answered 500,
  // cleared all the same. Clearing again is harmless.
  for (let attempt = 1; ; attempt += 1) {
    const response = await fetch(url, { method: 'DELETE' });
    if (response.ok) return;
    if (response.status !== 500 || attempt === 3) {
      throw new Error(`clearing ${project} answered ${response.status}`);
    }
  }
}

/**
 * The simulation on the Firestore stores: the same schedules (fast-check's, from `seed`) with
 * the real stores' transactions, queries and listeners on the emulator, `lanes` schedules at
 * a time, each on its own project. Virtual time stands still while the emulator works. A
 * failing schedule is reported as found (replay it with test/sim/replay.ts).
 */
export async function runOnFirestore(
  seed: number,
  schedules: number,
  lanes: number,
): Promise<SimulationReport> {
  const scenarios = fc.sample(scenarioArb, { seed, numRuns: schedules });
  const counts = emptyCounts();
  const totals = zeroStats();
  let next = 0;
  let ran = 0;
  let failure: SimulationReport['failure'] = null;
  await Promise.all(
    Array.from({ length: lanes }, async (_, index) => {
      const { project, db } = lane(index);
      for (;;) {
        const scenario = scenarios[next];
        if (!scenario || failure) return;
        next += 1;
        await clear(project);
        const mine = emptyCounts();
        const result = await simulate(scenario, mine, {
          backend: (clock) => firestoreBackend(db, clock),
          tenant: `t${scenario.seed.toString(36)}`,
        });
        ran += 1;
        addCounts(counts, mine);
        addStats(totals, result.stats);
        if (result.violations.length > 0) failure ??= { scenario, violations: result.violations };
      }
    }),
  );
  return { seed, schedules: ran, counts, totals, failure };
}
