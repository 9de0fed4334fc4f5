import type { Firestore } from 'firebase-admin/firestore';
import type { Call } from '../../functions/core/model';
import type {
  CallCounts,
  CallStore,
  DeviceStore,
  LongPolls,
  MemberStore,
} from '../../functions/core/ports';
import type { ExpiryQueries } from '../../functions/scheduled/runExpiry';
import { FirestoreCallCounts } from '../../functions/store/callCounts';
import { FirestoreCallStore } from '../../functions/store/callStore';
import { FirestoreDeviceStore } from '../../functions/store/deviceStore';
import { paths } from '../../functions/store/firestore';
import { FirestoreLongPolls } from '../../functions/store/longPolls';
import { Maintenance } from '../../functions/store/maintenance';
import { FirestoreMemberStore } from '../../functions/store/memberStore';
import { FakeCallStore } from '../support/fakeCallStore';
import type { FakeClock } from '../support/fakeClock';
import { FakeDeviceStore } from '../support/fakeDeviceStore';
import { FakeCallCounts, FakeLongPolls, FakeMemberStore } from '../support/fakes';

/**
 * The database a schedule runs on: the in-memory stores (held to the same contract suite as
 * the Firestore ones), or the Firestore stores on the emulator, so that their transactions are
 * part of the proof. Either way the stores are the raw ones: faults, latency and deadlines are
 * added per run above them (storeLayer.ts, store/storeDeadlines.ts).
 */
export interface Backend {
  readonly calls: CallStore;
  readonly devices: DeviceStore;
  readonly members: MemberStore;
  /** The tenant's call counts that admit a new call (the same database as `calls`). */
  readonly callCounts: CallCounts;
  /** The long-polls held, which the answer trigger asks about. */
  readonly longPolls: LongPolls;
  readonly queries: ExpiryQueries;
  /** The outcome the app reads on its answer document: undefined while unsettled, null if none. */
  answerOutcome(
    tenant: string,
    callUuid: string,
    deviceId: string,
  ): Promise<string | null | undefined>;
  /** Real ms a new listener holds virtual time for its first snapshot. */
  readonly listenerGraceMs: number;
}

export function memoryBackend(clock: FakeClock): Backend {
  const calls = new FakeCallStore(clock);
  const devices: FakeDeviceStore = new FakeDeviceStore((tenant, ext, uid) =>
    members.has(tenant, ext, uid),
  );
  const members = new FakeMemberStore(devices);
  const ringing = (now: number, past: boolean) =>
    calls.all().filter((c) => c.status === 'ringing' && c.expiresAt <= now === past);
  return {
    calls,
    devices,
    members,
    callCounts: new FakeCallCounts(calls),
    longPolls: new FakeLongPolls(),
    queries: {
      ringingPastDeadline: (now: number) =>
        Promise.resolve(
          ringing(now, true).map((c) => ({ tenant: c.tenant, callUuid: c.callUuid })),
        ),
      ringingCalls: (now: number) => Promise.resolve(ringing(now, false)),
      openCancelJobs: () =>
        Promise.resolve(
          calls
            .all()
            .filter((c: Call) => c.cancel?.state === 'pending' || c.cancel?.state === 'sending'),
        ),
    },
    answerOutcome: (_tenant, callUuid, deviceId) => {
      const doc = calls.answer(callUuid, deviceId);
      return Promise.resolve(doc ? doc.outcome : null);
    },
    listenerGraceMs: 0,
  };
}

/** The Firestore stores on the emulator, on `db` (a project of the simulation's own). */
export function firestoreBackend(db: Firestore, clock: FakeClock): Backend {
  return {
    calls: new FirestoreCallStore(db, () => 30, clock),
    devices: new FirestoreDeviceStore(db),
    members: new FirestoreMemberStore(db),
    callCounts: new FirestoreCallCounts(db),
    longPolls: new FirestoreLongPolls(db),
    queries: new Maintenance(db),
    answerOutcome: async (tenant, callUuid, deviceId) => {
      const snap = await db.doc(`${paths.calls(tenant)}/${callUuid}/answers/${deviceId}`).get();
      return snap.exists ? ((snap.get('outcome') as string | undefined) ?? undefined) : null;
    },
    listenerGraceMs: 100,
  };
}
