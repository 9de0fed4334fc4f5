/**
 * Cost: Firestore document reads and writes of each step of a call, counted on the real code
 * path. The core use cases run in this process with the real Firestore stores against the
 * emulator, a counting wrapper around firebase-admin (firestoreCounter.ts), and senders that
 * accept every push without touching Firestore (live mode: FCM and APNs are not Firestore).
 */
import { randomBytes } from 'node:crypto';
import type { Firestore } from 'firebase-admin/firestore';
import { applyPbxCancel } from '../functions/core/callState';
import { callUuid } from '../functions/core/callUuid';
import { sendCancels } from '../functions/core/cancelCall';
import { startIncomingCall } from '../functions/core/incomingCall';
import { incomingCallSchema } from '../functions/core/schemas';
import { validate } from '../functions/core/validate';
import { FirestoreCallStore } from '../functions/store/callStore';
import { FirestoreDeviceStore } from '../functions/store/deviceStore';
import { TenantDirectory } from '../functions/store/tenantDirectory';
import { FakeSender, TEST_ENDPOINTS } from '../test/support/fakes';
import {
  TEN_DEVICES,
  adminClient,
  benchCallId,
  createTenant,
  registerExtensions,
} from './fixtures';
import { counted, installCounter, type OpCount } from './firestoreCounter';

export interface CostRow {
  step: string;
  /** What the step runs, for the reader of results.json. */
  code: string;
  reads: number;
  writes: number;
  emptyQueries: number;
}

/** Checks the counter on operations of known cost before trusting it. */
async function selfTest(db: Firestore): Promise<void> {
  const col = db.collection(`benchCounter/${randomBytes(4).toString('hex')}/docs`);
  const checks: [string, () => Promise<unknown>, Partial<OpCount>][] = [
    ['set', () => col.doc('a').set({ n: 1 }), { reads: 0, writes: 1 }],
    [
      'batch of two',
      () => db.batch().set(col.doc('b'), { n: 2 }).set(col.doc('c'), { n: 3 }).commit(),
      { writes: 2 },
    ],
    ['get', () => col.doc('a').get(), { reads: 1, writes: 0 }],
    ['query of three', () => col.get(), { reads: 3 }],
    ['getAll of two', () => db.getAll(col.doc('a'), col.doc('zz')), { reads: 2 }],
    [
      'transaction',
      () =>
        db.runTransaction(async (tx) => {
          await tx.get(col.doc('a'));
          tx.update(col.doc('a'), { n: 4 });
        }),
      { reads: 1, writes: 1 },
    ],
  ];
  for (const [what, work, expected] of checks) {
    const { count } = await counted(db, work);
    for (const [field, value] of Object.entries(expected)) {
      if (count[field as keyof OpCount] !== value) {
        throw new Error(`Firestore counter self-test: ${what} counted ${JSON.stringify(count)}`);
      }
    }
  }
}

export async function cost(): Promise<CostRow[]> {
  installCounter();
  const db = adminClient('bench-counted');
  const other = adminClient('bench-other');
  await selfTest(db);
  const tenant = await createTenant('live');
  const calls = new FirestoreCallStore(db, () => 30);
  const devices = new FirestoreDeviceStore(db);
  const sender = new FakeSender();
  const senders = { fcm: sender, apns: sender, webpush: sender, hms: sender };
  const [one = '', ten = ''] = [
    ...(await registerExtensions(tenant, 'c1x', 1, ['android'])),
    ...(await registerExtensions(tenant, 'c10x', 1, TEN_DEVICES)),
  ];
  const deps = { calls, devices, senders, endpoints: TEST_ENDPOINTS, sendBudgetMs: 8_000 };
  const cancelDeps = { ...deps, leaseMs: 15_000 };
  const ring = async (to: string, id = benchCallId('cost')) => {
    const request = validate(incomingCallSchema, { call_id: id, to, from: '5551234' });
    const rang = await startIncomingCall(tenant.id, request, deps);
    if (rang.status !== 'ringing' || rang.pushed !== rang.devices) {
      throw new Error(`cost: the call to ${to} is ${rang.status}, ${rang.pushed} pushed`);
    }
  };
  const rows: CostRow[] = [];
  const row = async (step: string, code: string, work: () => Promise<unknown>) => {
    const { count } = await counted(db, work);
    rows.push({ step, code, ...count });
  };

  await row('incoming call, 1 device', 'startIncomingCall', () => ring(one));
  const answered = benchCallId('cost');
  await row('incoming call, 10 devices', 'startIncomingCall', () => ring(ten, answered));
  const uuid = callUuid(tenant.id, answered);
  const answerBy = (deviceId: string) => ({
    action: 'accept' as const,
    deviceId,
    uid: 'bench-user',
    answeredAt: Date.now(),
  });
  const answer = answerBy(`${ten}-android-0`);
  await row('answer (accept)', 'the answer document (createAnswer) + settleAnswer', async () => {
    await calls.createAnswer(tenant.id, uuid, answer, 'api');
    await calls.settleAnswer(tenant.id, uuid, answer, Date.now());
  });
  await row('cancel pushes after the answer, 9 devices', 'sendCancels (onCallWritten)', () =>
    sendCancels(tenant.id, uuid, cancelDeps),
  );
  const cancelled = benchCallId('cost');
  await ring(ten, cancelled);
  const cancelledUuid = callUuid(tenant.id, cancelled);
  await row('PBX cancel, 10 devices', 'transition(applyPbxCancel) + sendCancels', async () => {
    await calls.transition(tenant.id, cancelledUuid, (call) =>
      applyPbxCancel(call, 'hangup', Date.now()),
    );
    await sendCancels(tenant.id, cancelledUuid, cancelDeps);
  });

  // What the PBX pays to learn the answer: the other client settles while this one waits.
  const polled = benchCallId('cost');
  await ring(one, polled);
  const polledUuid = callUuid(tenant.id, polled);
  await row('PBX poll, each GET /v1/calls/{id}', 'calls.get', () =>
    calls.get(tenant.id, polledUuid),
  );
  await row('PBX long-poll answered while waiting', 'calls.get + waitFor (listener)', async () => {
    await calls.get(tenant.id, polledUuid);
    // The HTTPS answer route's two steps, on the uncounted client.
    const settle = setTimeout(() => {
      const store = new FirestoreCallStore(other, () => 30);
      const accept = answerBy(`${one}-android-0`);
      void store
        .createAnswer(tenant.id, polledUuid, accept, 'api')
        .then(() => store.settleAnswer(tenant.id, polledUuid, accept, Date.now()));
    }, 300);
    const call = await calls.waitFor(tenant.id, polledUuid, (c) => c.status !== 'ringing', 10_000);
    clearTimeout(settle);
    if (call?.status !== 'accepted') throw new Error(`long-poll cost: the call is ${call?.status}`);
  });
  await row('API key lookup, cache miss', 'TenantDirectory.resolveApiKey', async () => {
    await new TenantDirectory(db, () => '').resolveApiKey(tenant.key);
  });
  return rows;
}
