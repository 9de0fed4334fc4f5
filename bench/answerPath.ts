/**
 * Answer path: from the app's accept to the PBX learning it, through both of the app's doors
 * in turn: the answer document, written with the Firebase JS SDK as a signed-in member, and
 * the HTTPS answer route with the member's ID token. Each extension also has a desk phone the
 * PBX registered, which rings too and must be told to stop: the time from the accept to its
 * cancel push at the fake FCM is the "answer elsewhere" figure. Each call is watched at
 * once by a long-poll (GET /v1/calls/{id}?wait=20) and by a client polling GET /v1/calls/{id}
 * once a second, so both see the same accept. The seeds' design (bench/peers/seeds.ts) rings
 * the same user at the same moment and is accepted at the same instant; its PBX polls the seeds'
 * status route once a second. The accept comes 0.5–1.5 s after the call starts, uniformly, so
 * the pollers' phases are random.
 */
import { doc, serverTimestamp, setDoc } from 'firebase/firestore';
import { makeMember, signInApp, type TestApp } from '../test/support/app';
import { api } from '../test/support/http';
import { fcmToken } from '../test/support/ids';
import { cancelPushes, fcmMessage, type Providers } from '../test/support/providers';
import { eventually } from '../test/support/wait';
import {
  CALLS_PER_EXTENSION_BUDGET,
  adminClient,
  benchCallId,
  createTenant,
  deviceForm,
  expectStatus,
  postCall,
  setup,
  type TestTenant,
} from './fixtures';
import { acceptSeedCall, postSeeds, registerSeedGroups, seedStatus } from './peerCalls';
import { distribution, ratio, sleep, type Distribution } from './stats';

/** How the app answered: its answer document (Firestore SDK) or the HTTPS answer route. */
export type AnswerDoor = 'sdk' | 'https';

/** One answered call, in milliseconds after the accept. */
export interface AnswerSample {
  door: AnswerDoor;
  /** The desk phone's cancel push (answered elsewhere) reached the fake FCM. */
  cancelElsewhere: number;
  /** When the accept was written, in seconds since the phase started. */
  at: number;
  /** The long-poll answered. */
  longPoll: number;
  /** The poller saw the call answered. */
  poll: number;
  /** The seeds' design: its PBX, polling the status route once a second, saw the accept. */
  seedsPoll: number;
  /** The call was settled (its `endedAt`): by the answer route, or the long-poll or trigger that saw the document. */
  settled: number;
}

export interface AnswerResult {
  calls: number;
  lanes: number;
  longPoll: Distribution;
  /** The long-poll, by the door the app answered through. */
  byDoor: Record<AnswerDoor, Distribution>;
  /** Accept → the other phone's cancel push at the fake FCM. */
  cancelElsewhere: Distribution;
  poll: Distribution;
  seedsPoll: Distribution;
  settled: Distribution;
  /** poll / long-poll, of the p50s and of the p95s. */
  ratio: { p50: number; p95: number };
  /** seeds' polling / callwake's long-poll, of the p50s and of the p95s. */
  seedsRatio: { p50: number; p95: number };
  samples: AnswerSample[];
}

const POLL_INTERVAL_MS = 1_000;
const LONG_POLL_WAIT_S = 20;

interface Lane {
  app: TestApp;
  /** [extension, device id] pairs this lane's user registered. */
  phones: [string, string][];
  /** The FCM token of each extension's desk phone, which the PBX registered. */
  desks: Map<string, string>;
  /** The same user in the seeds' design: one token document. */
  seedUser: string;
}

async function makeLane(tenant: TestTenant, index: number, extensions: number): Promise<Lane> {
  const app = await signInApp();
  const phones: [string, string][] = [];
  const desks = new Map<string, string>();
  for (let i = 0; i < extensions; i += 1) {
    const ext = `a${index}x${i}`;
    const deviceId = `app-${index}-${i}`;
    // Invited by the PBX, accepted by the app: a membership needs both.
    await makeMember(tenant, ext, app);
    const idToken = await app.idToken();
    await setup(`registering ${deviceId}`, () =>
      api('PUT', `/v1/app/devices/${deviceId}`, {
        headers: { Authorization: `Bearer ${idToken}` },
        form: { extension: ext, ...deviceForm('android') },
      }),
    );
    phones.push([ext, deviceId]);
    const desk = fcmToken();
    await setup(`registering the desk phone of ${ext}`, () =>
      api('PUT', `/v1/extensions/${ext}/devices/desk-${index}-${i}`, {
        key: tenant.key,
        form: { platform: 'android', fcm_token: desk },
      }),
    );
    desks.set(ext, desk);
  }
  const [[seedUser = ''] = []] = await registerSeedGroups(`a${index}seed`, 1, 1);
  return { app, phones, desks, seedUser };
}

/** Polls once a second from `start` until the call is no longer ringing; when that was seen. */
async function pollUntilAnswered(
  tenant: TestTenant,
  callId: string,
  start: number,
): Promise<number> {
  for (let tick = 0; tick < 15; tick += 1) {
    await sleep(Math.max(0, start + tick * POLL_INTERVAL_MS - Date.now()));
    const reply = await api('GET', `/v1/calls/${callId}`, { key: tenant.key });
    const seen = Date.now();
    if (reply.fields.status !== 'ringing') return seen;
  }
  throw new Error(`the poller never saw call ${callId} answered`);
}

/** The seeds' PBX: polls their status route once a second from `start`; when it saw the accept. */
async function pollSeeds(callId: string, start: number): Promise<number> {
  for (let tick = 0; tick < 15; tick += 1) {
    await sleep(Math.max(0, start + tick * POLL_INTERVAL_MS - Date.now()));
    const status = await seedStatus(callId);
    const seen = Date.now();
    if (status === 'accepted') return seen;
  }
  throw new Error(`the seeds' poller never saw call ${callId} answered`);
}

/**
 * When the fake FCM took the cancel push of `callId` for `token`, waiting up to 30 s; if it never
 * came, the error says where the call stands (its status, each answer's door and outcome).
 */
async function cancelReceived(
  fakes: Providers,
  token: string,
  callId: string,
  path: string,
): Promise<number> {
  const cancel = await eventually(
    () =>
      cancelPushes(fakes.fcm, token).find(
        (r) => fcmMessage(r).data.call_id === callId && r.status === 200,
      ),
    `the cancel push of call ${callId} to its desk phone`,
    30_000,
  ).catch(async (err: unknown) => {
    const db = adminClient('bench-fixtures');
    const call = await db.doc(path).get();
    const answers = (await db.collection(`${path}/answers`).get()).docs.map(
      (d) =>
        `${d.id}: ${String(d.get('action'))} door ${String(d.get('door') ?? 'sdk')} outcome ${String(d.get('outcome') ?? 'none')}`,
    );
    const why = `the call is ${String(call.get('status'))}; answers: ${answers.join(', ') || 'none'}`;
    throw new Error(`${err instanceof Error ? err.message : String(err)} (${why})`);
  });
  // The fake's own arrival time: how often this looks does not move the figure.
  return cancel.receivedAt;
}

async function sample(
  tenant: TestTenant,
  lane: Lane,
  n: number,
  phaseStart: number,
  fakes: Providers,
): Promise<AnswerSample> {
  const [ext, deviceId] = lane.phones[n % lane.phones.length] ?? ['', ''];
  // The doors take turns, so each has the same share of calls, lanes and moments.
  const door: AnswerDoor = n % 2 === 0 ? 'sdk' : 'https';
  const idToken = await lane.app.idToken();
  const callId = benchCallId('answer');
  const rang = expectStatus(await postCall(tenant, callId, ext), [201], `ringing ${ext}`);
  const started = Date.now();
  const path = `tenants/${tenant.id}/calls/${String(rang.fields.call_uuid)}`;
  let longPolled = 0;
  const longPoll = api('GET', `/v1/calls/${callId}?wait=${LONG_POLL_WAIT_S}`, {
    key: tenant.key,
  }).then((reply) => {
    longPolled = Date.now();
    return reply;
  });
  const polled = pollUntilAnswered(tenant, callId, started);
  const seedRang = await postSeeds(callId, [lane.seedUser]);
  if (seedRang.fields.sent !== 1) throw new Error(`the seeds' ring failed: ${seedRang.text}`);
  const seedsPolled = pollSeeds(callId, Date.now());
  await sleep(500 + Math.random() * 1_000);
  const acceptedAt = Date.now();
  const accept =
    door === 'sdk'
      ? setDoc(doc(lane.app.db, `${path}/answers/${deviceId}`), {
          action: 'accept',
          deviceId,
          uid: lane.app.uid,
          answeredAt: serverTimestamp(),
        })
      : api('POST', `/v1/app/calls/${encodeURIComponent(callId)}/answer`, {
          headers: { Authorization: `Bearer ${idToken}` },
          form: { device_id: deviceId, action: 'accept', tenant: tenant.id },
        }).then((reply) => expectStatus(reply, [200], `the HTTPS answer to ${callId}`));
  const desk = cancelReceived(fakes, lane.desks.get(ext) ?? '', callId, path);
  // Awaited below; should the accept fail first, none of them is left rejecting unhandled.
  for (const pending of [longPoll, polled, seedsPolled, desk]) pending.catch(() => undefined);
  await Promise.all([accept, acceptSeedCall(callId)]);
  const [reply, pollSeen, seedsSeen, deskCancelled] = await Promise.all([
    longPoll,
    polled,
    seedsPolled,
    desk,
  ]);
  if (reply.fields.status !== 'accepted') {
    throw new Error(`the long-poll answered ${reply.text} for call ${callId}`);
  }
  const endedAt = (await adminClient('bench-fixtures').doc(path).get()).get('endedAt') as number;
  return {
    door,
    cancelElsewhere: deskCancelled - acceptedAt,
    at: Math.round((acceptedAt - phaseStart) / 100) / 10,
    longPoll: longPolled - acceptedAt,
    poll: pollSeen - acceptedAt,
    seedsPoll: seedsSeen - acceptedAt,
    settled: endedAt - acceptedAt,
  };
}

/**
 * `calls` answered calls over `lanes` users answering side by side, after `warmUp` calls per
 * lane: the emulator starts a worker process (a cold start of seconds on a small machine)
 * whenever more requests or trigger events arrive at once than it has idle workers.
 */
export async function answerPath(
  fakes: Providers,
  calls: number,
  lanes: number,
  warmUp = 2,
): Promise<AnswerResult> {
  const tenant = await createTenant('live');
  const callsPerLane = Math.ceil(calls / lanes) + warmUp;
  const extensions = Math.max(1, Math.ceil(callsPerLane / CALLS_PER_EXTENSION_BUDGET));
  // One at a time: registrations in one tenant contend for the emulator's transaction locks.
  const made: Lane[] = [];
  for (let i = 0; i < lanes; i += 1) made.push(await makeLane(tenant, i, extensions));
  try {
    const phaseStart = Date.now();
    // Each lane answers its calls one after another; the lanes run side by side. A lane that
    // fails stops the others at their next call, and the phase ends once none is mid-call.
    let failure: { error: unknown } | undefined;
    const byLane = await Promise.allSettled(
      made.map(async (lane, i) => {
        const mine: AnswerSample[] = [];
        const count = Math.floor(calls / lanes) + (i < calls % lanes ? 1 : 0);
        for (let n = 0; n < warmUp + count && !failure; n += 1) {
          const result = await sample(tenant, lane, n, phaseStart, fakes).catch(
            (error: unknown) => {
              failure ??= { error };
              throw error;
            },
          );
          if (n >= warmUp) mine.push(result);
        }
        return mine;
      }),
    );
    if (failure) throw failure.error;
    const samples = byLane
      .flatMap((lane) => (lane.status === 'fulfilled' ? lane.value : []))
      .sort((a, b) => a.at - b.at);
    const longPoll = distribution(samples.map((x) => x.longPoll));
    const through = (door: AnswerDoor) =>
      distribution(samples.filter((x) => x.door === door).map((x) => x.longPoll));
    const poll = distribution(samples.map((x) => x.poll));
    const seedsPoll = distribution(samples.map((x) => x.seedsPoll));
    return {
      calls,
      lanes,
      longPoll,
      byDoor: { sdk: through('sdk'), https: through('https') },
      cancelElsewhere: distribution(samples.map((x) => x.cancelElsewhere)),
      poll,
      seedsPoll,
      settled: distribution(samples.map((x) => x.settled)),
      ratio: { p50: ratio(poll.p50, longPoll.p50), p95: ratio(poll.p95, longPoll.p95) },
      seedsRatio: {
        p50: ratio(seedsPoll.p50, longPoll.p50),
        p95: ratio(seedsPoll.p95, longPoll.p95),
      },
      samples,
    };
  } finally {
    await Promise.all(made.map((lane) => lane.app.close()));
  }
}
