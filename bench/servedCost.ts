/**
 * The cost of an answered 10-device call, counted from the served functions: the Firestore
 * traffic of every Functions emulator worker passes through a counting proxy
 * (bench/firestoreProxy.ts, reached through bench/workerPreload.cjs), which counts what
 * Firestore would bill by function, RPC and collection. Run by scripts/bench.mjs in an emulator
 * session of its own (the proxy's extra hop never touches the latency phases), it writes
 * .cache/bench/served-cost.json for bench/main.ts.
 *
 * Each round, with the machine quiet before each step (bench/quiescence.ts), the same extension
 * of 10 phones (5 iPhones, 4 Android phones the PBX registered, 1 app user's Android phone):
 * callwake's ring (POST /v1/calls), then its answer with the PBX long-polling (the app accepts
 * through the HTTPS route in one round, through its answer document in the next; the cancel
 * pushes to the others follow); a second call's hang-up (the PBX's cancel, and its cancel
 * pushes) and a poll of it; the floor's ring of the same phones; the competent seeds peer's ring
 * of ten users and the app's accept.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Firestore } from 'firebase-admin/firestore';
import { doc, serverTimestamp, setDoc } from 'firebase/firestore';
import { makeMember, signInApp } from '../test/support/app';
import { PROJECT_ID, requireEmulators } from '../test/support/emulator';
import { api } from '../test/support/http';
import {
  fcmMessage,
  startProviders,
  stopProviders,
  type Providers,
} from '../test/support/providers';
import { eventually } from '../test/support/wait';
import {
  adminClient,
  benchCallId,
  createTenant,
  deviceForm,
  expectStatus,
  postCall,
  registerExtensions,
  setup,
} from './fixtures';
import { SERVED_COST_FILE, type CostStep, type ServedCost } from './costSummary';
import { FirestoreProxy, type OpRow } from './firestoreProxy';
import { acceptSeedCall, postFloor, postSeeds, registerSeedGroups } from './peerCalls';
import { Quiescence } from './quiescence';
import { say } from './say';

/**
 * Checks the proxy's counts on operations of known cost, made by a client of this process sent
 * through it, before trusting it with the functions'.
 */
async function selfTest(proxy: FirestoreProxy, through: string): Promise<void> {
  const direct = process.env.FIRESTORE_EMULATOR_HOST;
  // The client takes its host from this variable when it is constructed.
  process.env.FIRESTORE_EMULATOR_HOST = through;
  const db = new Firestore({ projectId: PROJECT_ID });
  process.env.FIRESTORE_EMULATOR_HOST = direct;
  const col = db.collection(`benchCounter/${randomBytes(4).toString('hex')}/docs`);
  const checks: [
    string,
    () => Promise<unknown>,
    { reads: number; writes: number; empty?: number },
  ][] = [
    ['a set', () => col.doc('a').set({ n: 1 }), { reads: 0, writes: 1 }],
    [
      'a batch of two',
      () => db.batch().set(col.doc('b'), { n: 2 }).set(col.doc('c'), { n: 3 }).commit(),
      { reads: 0, writes: 2 },
    ],
    ['a get', () => col.doc('a').get(), { reads: 1, writes: 0 }],
    ['a query of three', () => col.get(), { reads: 3, writes: 0 }],
    ['an empty query', () => col.where('n', '==', 99).get(), { reads: 0, writes: 0, empty: 1 }],
    ['a count', () => col.count().get(), { reads: 1, writes: 0 }],
    [
      'a getAll of two, one missing',
      () => db.getAll(col.doc('a'), col.doc('zz')),
      { reads: 2, writes: 0 },
    ],
    [
      'a create that finds its document',
      () =>
        col
          .doc('a')
          .create({ n: 5 })
          .catch(() => undefined),
      { reads: 0, writes: 0 },
    ],
    [
      'a transaction',
      () =>
        db.runTransaction(async (tx) => {
          await tx.get(col.doc('a'));
          tx.update(col.doc('a'), { n: 4 });
        }),
      { reads: 1, writes: 1 },
    ],
  ];
  try {
    for (const [what, work, expected] of checks) {
      proxy.reset();
      await work();
      await proxy.settled();
      const rows = proxy.snapshot();
      const got = {
        reads: rows.reduce((n, r) => n + r.reads, 0),
        writes: rows.reduce((n, r) => n + r.writes, 0),
        empty: rows.reduce((n, r) => n + r.emptyQueries, 0),
      };
      if (
        got.reads !== expected.reads ||
        got.writes !== expected.writes ||
        got.empty !== (expected.empty ?? 0)
      ) {
        throw new Error(`the Firestore proxy's self-test: ${what} counted ${JSON.stringify(got)}`);
      }
    }
  } finally {
    await db.terminate();
  }
}

/** Cancel pushes of `callId` the fake FCM received: a cancel is never a VoIP push (renderCancel). */
const cancelsOf = (fakes: Providers, callId: string) =>
  fakes.fcm.requests.filter((r) => {
    const data = r.token === undefined ? undefined : fcmMessage(r).data;
    return data?.call_id === callId && data.type === 'call_cancelled';
  }).length;

async function counted(
  proxy: FirestoreProxy,
  quiet: Quiescence,
  work: () => Promise<number>,
): Promise<{ rows: OpRow[]; appWrites: number }> {
  await quiet.wait();
  proxy.reset();
  const appWrites = await work();
  await quiet.wait();
  await proxy.settled();
  return { rows: proxy.snapshot(), appWrites };
}

async function main(): Promise<void> {
  requireEmulators();
  const target = process.env.FIRESTORE_EMULATOR_HOST ?? '';
  const [host, port] = (process.env.CALLWAKE_BENCH_FIRESTORE_PROXY ?? '').split(':');
  if (!target || host !== '127.0.0.1' || !port) {
    throw new Error('run through `npm run bench`: it sets CALLWAKE_BENCH_FIRESTORE_PROXY');
  }
  const rounds = Number(process.env.CALLWAKE_BENCH_COST_ROUNDS ?? '4');
  const proxy = new FirestoreProxy(target);
  await proxy.listen(Number(port));
  await selfTest(proxy, `127.0.0.1:${port}`);
  say("served cost: the proxy counted the self-test's known operations right");
  const fakes: Providers = await startProviders();
  try {
    const tenant = await createTenant('live');
    const [ext = ''] = await registerExtensions(tenant, 'cost', 1, [
      'ios',
      'ios',
      'ios',
      'ios',
      'ios',
      'android',
      'android',
      'android',
      'android',
    ]);
    const app = await signInApp();
    await makeMember(tenant, ext, app);
    const deviceId = 'cost-app-phone';
    await setup('registering the app phone', async () =>
      api('PUT', `/v1/app/devices/${deviceId}`, {
        headers: { Authorization: `Bearer ${await app.idToken()}` },
        form: { extension: ext, ...deviceForm('android') },
      }),
    );
    const [users = []] = await registerSeedGroups('cost', 1, 10);
    const db = adminClient('bench-fixtures');
    const quiet = new Quiescence();
    const all: CostStep[][] = [];
    for (let round = 0; round < rounds; round += 1) {
      const steps: CostStep[] = [];
      const callId = benchCallId('cost');
      let uuid = '';
      const ring = await counted(proxy, quiet, async () => {
        const reply = expectStatus(await postCall(tenant, callId, ext), [201], 'the ring');
        if (reply.fields.pushed !== 10) throw new Error(`the ring pushed ${reply.text}`);
        uuid = String(reply.fields.call_uuid);
        return 0;
      });
      steps.push({ system: 'callwake', step: 'ring', ...ring });
      const door = round % 2 === 0 ? 'https' : 'sdk';
      const path = `tenants/${tenant.id}/calls/${uuid}`;
      const answered = await counted(proxy, quiet, async () => {
        const longPoll = api('GET', `/v1/calls/${callId}?wait=20`, { key: tenant.key });
        longPoll.catch(() => undefined);
        await eventually(
          async () =>
            (await db.collection(`tenants/${tenant.id}/longPolls`).count().get()).data().count > 0,
          'the long-poll held',
          20_000,
        );
        if (door === 'https') {
          expectStatus(
            await api('POST', `/v1/app/calls/${encodeURIComponent(callId)}/answer`, {
              headers: { Authorization: `Bearer ${await app.idToken()}` },
              form: { device_id: deviceId, action: 'accept', tenant: tenant.id },
            }),
            [200],
            'the HTTPS answer',
          );
        } else {
          await setDoc(doc(app.db, `${path}/answers/${deviceId}`), {
            action: 'accept',
            deviceId,
            uid: app.uid,
            answeredAt: serverTimestamp(),
          });
        }
        const reply = await longPoll;
        if (reply.fields.status !== 'accepted') throw new Error(`long-poll: ${reply.text}`);
        // The four Android phones the PBX registered; the iPhones here hold only a VoIP token,
        // and a cancel is never a VoIP push (functions/core/render/cancelPush.ts).
        await eventually(
          () => cancelsOf(fakes, callId) >= 4,
          'the cancel pushes to the four other Android phones',
          30_000,
        );
        return door === 'sdk' ? 1 : 0;
      });
      steps.push({
        system: 'callwake',
        step: door === 'https' ? 'answer (HTTPS route)' : 'answer (answer document)',
        ...answered,
      });
      const hungUp = benchCallId('cost-hangup');
      await quiet.wait();
      expectStatus(await postCall(tenant, hungUp, ext), [201], 'the second ring');
      const hangup = await counted(proxy, quiet, async () => {
        expectStatus(
          await api('POST', `/v1/calls/${hungUp}/cancel`, {
            key: tenant.key,
            form: { reason: 'hangup' },
          }),
          [200],
          'the hang-up',
        );
        // All five Android phones: none answered.
        await eventually(
          () => cancelsOf(fakes, hungUp) >= 5,
          'the cancel pushes to the five Android phones',
          30_000,
        );
        return 0;
      });
      steps.push({ system: 'callwake', step: 'hang-up (PBX cancel)', ...hangup });
      const poll = await counted(proxy, quiet, async () => {
        expectStatus(await api('GET', `/v1/calls/${hungUp}`, { key: tenant.key }), [200], 'a poll');
        return 0;
      });
      steps.push({ system: 'callwake', step: 'PBX poll (GET /v1/calls/{id})', ...poll });
      const floor = await counted(proxy, quiet, async () => {
        const reply = await postFloor(tenant, benchCallId('cost-floor'), ext);
        if (reply.status !== 201 && reply.status !== 200) throw new Error(reply.text);
        return 0;
      });
      steps.push({ system: 'floor', step: 'ring', ...floor });
      const seedsCall = benchCallId('cost-seeds');
      const seeds = await counted(proxy, quiet, async () => {
        const reply = await postSeeds(seedsCall, users);
        if (reply.fields.sent !== 10) throw new Error(`the seeds' ring: ${reply.text}`);
        await acceptSeedCall(seedsCall);
        return 1;
      });
      steps.push({ system: 'seeds', step: 'ring + accept', ...seeds });
      all.push(steps);
      say(`cost round ${round + 1} of ${rounds}: done`);
    }
    const result: ServedCost = { rounds, steps: all };
    writeFileSync(SERVED_COST_FILE, `${JSON.stringify(result, null, 2)}\n`);
    say(`served cost: written to ${SERVED_COST_FILE}`);
  } finally {
    await stopProviders();
    await proxy.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    say(`served cost failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
