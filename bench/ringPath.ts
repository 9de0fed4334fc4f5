/**
 * Ring path: from the PBX's POST /v1/calls to each push arriving at the fake FCM / APNs / Web
 * Push service / HMS (their `receivedAt`, same clock as the bench), for callwake and for its
 * peers (bench/peers/): the strict floor and the seeds' design (naive and competent). On equal
 * footing: each scenario rings on a tenant of its own holding as many devices (or token
 * documents) as every other's; the scenarios take turns in blocks of calls, in a new shuffled
 * order every round, and before each block the bench waits until the emulators are quiet
 * (every function run that began has finished: quiescence.ts), so no scenario pays for the
 * triggers of the one before it.
 */
import type { Providers } from '../test/support/providers';
import {
  CALLS_PER_EXTENSION_BUDGET,
  benchCallId,
  createTenant,
  expectStatus,
  padDevices,
  postCall,
  registerExtensions,
  TEN_DEVICES,
  type Platform,
} from './fixtures';
import { api } from '../test/support/http';
import { postFloor, postSeeds, registerSeedGroups } from './peerCalls';
import { Quiescence, type QuietStats } from './quiescence';
import { distribution, type Distribution } from './stats';

/**
 * Who rings the phones: callwake, the floor, or the seeds' design (bench/peers/): `seeds` is the
 * competent peer, `naive` the seeds' code as it stands.
 */
export type RingSystem = 'callwake' | 'floor' | 'seeds' | 'naive';

export interface RingScenario {
  name: string;
  /** For the summary line. */
  short: string;
  system: RingSystem;
  /** Scenarios ringing the same set of phones compare with each other. */
  set: 'android1' | 'ios1' | 'web1' | 'hms1' | 'mixed10' | 'android10' | 'four';
  platforms: Platform[];
}

export interface RingResult {
  name: string;
  short: string;
  system: RingSystem;
  set: RingScenario['set'];
  devices: number;
  calls: number;
  /** POST → the first push at a provider. */
  firstArrival: Distribution;
  /** POST → the last push at a provider. */
  lastArrival: Distribution;
  /** POST → the PBX has its answer (every push accepted, and for callwake recorded). */
  response: Distribution;
}

const TEN_ANDROID: Platform[] = Array<Platform>(10).fill('android');

export const RING_SCENARIOS: RingScenario[] = [
  {
    name: '1 device (Android, FCM)',
    short: 'Android',
    system: 'callwake',
    set: 'android1',
    platforms: ['android'],
  },
  {
    name: '1 device (iOS, APNs VoIP)',
    short: 'iOS',
    system: 'callwake',
    set: 'ios1',
    platforms: ['ios'],
  },
  {
    name: '1 device (browser, Web Push)',
    short: 'browser',
    system: 'callwake',
    set: 'web1',
    platforms: ['web'],
  },
  {
    name: '1 device (Huawei, HMS)',
    short: 'Huawei',
    system: 'callwake',
    set: 'hms1',
    platforms: ['huawei'],
  },
  {
    name: '10 devices (5 Android + 5 iOS)',
    short: '10 devices',
    system: 'callwake',
    set: 'mixed10',
    platforms: TEN_DEVICES,
  },
  {
    name: '10 devices (10 Android)',
    short: '10 Android',
    system: 'callwake',
    set: 'android10',
    platforms: TEN_ANDROID,
  },
  {
    name: '4 devices (Android, iOS, browser, Huawei)',
    short: '4 providers',
    system: 'callwake',
    set: 'four',
    platforms: ['android', 'ios', 'web', 'huawei'],
  },
  {
    name: 'floor: 1 device (Android)',
    short: 'floor Android',
    system: 'floor',
    set: 'android1',
    platforms: ['android'],
  },
  {
    name: 'floor: 1 device (iOS)',
    short: 'floor iOS',
    system: 'floor',
    set: 'ios1',
    platforms: ['ios'],
  },
  {
    name: 'floor: 10 devices (5 + 5)',
    short: 'floor 10',
    system: 'floor',
    set: 'mixed10',
    platforms: TEN_DEVICES,
  },
  {
    name: "seeds' design, competent: 1 user (Android)",
    short: 'seeds 1',
    system: 'seeds',
    set: 'android1',
    platforms: ['android'],
  },
  {
    name: "seeds' design, competent: 10 users (Android)",
    short: 'seeds 10',
    system: 'seeds',
    set: 'android10',
    platforms: TEN_ANDROID,
  },
  {
    name: "seeds' design, naive (its serial code): 10 users (Android)",
    short: 'naive seeds 10',
    system: 'naive',
    set: 'android10',
    platforms: TEN_ANDROID,
  },
];

/**
 * With a provider that takes time to answer, as FCM does from a Cloud Functions region: callwake's
 * parallel fan-out against the seeds' peers (the naive one sends one user after another, the
 * comparison the delay changes most; a single push waits for one answer either way).
 */
export const LATENCY_SCENARIOS: RingScenario[] = RING_SCENARIOS.filter((s) =>
  ['android1', 'android10'].includes(s.set),
).filter((s) => s.system !== 'floor');

/** How long the fake FCM takes to answer in the latency phase (see README, Performance). */
export const FCM_ANSWER_DELAY_MS = 40;

/** `call_id` of a push the fakes recorded: in FCM's `message.data`, at the top of an APNs body. */
function callIdOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as { call_id?: unknown; message?: { data?: { call_id?: unknown } } };
  const id = record.message?.data?.call_id ?? record.call_id;
  return typeof id === 'string' ? id : undefined;
}

/** One fake's record, reduced to what the ring path measures: accepted?, which call, when. */
interface Arrival {
  accepted: boolean;
  callId: string | undefined;
  receivedAt: number;
}

/** Arrival times of accepted pushes by call id, read from the fakes' records since the last look. */
class Arrivals {
  private readonly seen = new Map<object, number>();
  private readonly byCall = new Map<string, number[]>();

  constructor(private readonly fakes: Providers) {}

  /** Every fake's records, as arrivals. */
  private lists(): [object, () => Arrival[]][] {
    const { fcm, apns, webPush, hms } = this.fakes;
    const plain = (list: { status?: number; body: unknown; receivedAt: number }[]) => () =>
      list.map((r) => ({
        accepted: r.status === 200,
        callId: callIdOf(r.body),
        receivedAt: r.receivedAt,
      }));
    return [
      [fcm.requests, plain(fcm.requests)],
      [apns.production.requests, plain(apns.production.requests)],
      [apns.sandbox.requests, plain(apns.sandbox.requests)],
      [
        webPush.requests,
        () =>
          webPush.requests.map((r) => ({
            accepted: r.status === 201,
            callId: r.payload === undefined ? undefined : callIdOf(JSON.parse(r.payload)),
            receivedAt: r.receivedAt,
          })),
      ],
      [
        hms.requests,
        () =>
          hms.requests.map((r) => ({
            accepted: r.code === '80000000',
            callId: r.data?.call_id,
            receivedAt: r.receivedAt,
          })),
      ],
    ];
  }

  take(callId: string): number[] {
    for (const [list, arrivals] of this.lists()) {
      const all = arrivals();
      const from = this.seen.get(list) ?? 0;
      for (const arrival of all.slice(from)) {
        // Only what the provider took reaches a phone: a request refused (say 429
        // TooManyProviderTokenUpdates at a token window's start, then sent again) is no push.
        if (!arrival.accepted || arrival.callId === undefined) continue;
        const id = arrival.callId;
        this.byCall.set(id, [...(this.byCall.get(id) ?? []), arrival.receivedAt]);
      }
      this.seen.set(list, all.length);
    }
    const times = this.byCall.get(callId) ?? [];
    this.byCall.delete(callId);
    return times;
  }
}

/** What one scenario's next call is sent to, and how many pushes its reply says went out. */
type Ring = (
  callId: string,
  call: number,
) => Promise<{ pushed: number; text: string; end?: () => Promise<void> }>;

/**
 * What `scenario` rings, on a tenant of its own whose devices collection (or the seeds' token
 * collection) holds `total` documents: its pool of `count` extensions (or ring groups), then
 * fillers.
 */
async function ringer(
  scenario: RingScenario,
  i: number,
  count: number,
  total: number,
  fakes: Providers,
): Promise<Ring> {
  const tenant = await createTenant('live');
  if (scenario.system === 'seeds' || scenario.system === 'naive') {
    const peer = scenario.system === 'naive' ? 'naive' : 'competent';
    const groups = await registerSeedGroups(
      `s${i}x`,
      count,
      scenario.platforms.length,
      tenant.id,
      total,
    );
    return async (id, call) => {
      const reply = await postSeeds(id, groups[call % groups.length] ?? [], peer, tenant.id);
      if (reply.status !== 200)
        throw new Error(`${scenario.name}: HTTP ${reply.status} ${reply.text}`);
      return { pushed: Number(reply.fields.sent), text: reply.text };
    };
  }
  const pool = await registerExtensions(tenant, `r${i}x`, count, scenario.platforms, fakes.webPush);
  await padDevices(tenant, `r${i}x`, total);
  return async (id, call) => {
    const to = pool[call % pool.length] ?? '';
    if (scenario.system === 'floor') {
      const reply = await postFloor(tenant, id, to);
      if (reply.status !== 201)
        throw new Error(`${scenario.name}: HTTP ${reply.status} ${reply.text}`);
      return { pushed: Number(reply.fields.pushed), text: reply.text };
    }
    const reply = expectStatus(
      await postCall(tenant, id, to, RING_TIMEOUT_S),
      [201],
      `ringing ${to}`,
    );
    return {
      pushed: Number(reply.fields.pushed),
      text: reply.text,
      // The PBX hangs up once the call is measured: its end (an onCallWritten run with the
      // cancel pushes) lands in callwake's own turn, not 30 s later in another's.
      end: async () => {
        expectStatus(
          await api('POST', `/v1/calls/${encodeURIComponent(id)}/cancel`, { key: tenant.key }),
          [200],
          `hanging up ${id}`,
        );
      },
    };
  };
}

/** The peers' own functions (bench/peers/index.ts). */
const PEER_FUNCTIONS = /-(floor|seedRingNaive|seedRingCompetent|seedStatus)$/;

/**
 * The waits for quiet, and callwake's runs that began during the peers' turns anyway (a call's
 * deadline task fires when its ring timeout passes, in whichever turn that is), by function.
 */
export interface RingQuiet extends QuietStats {
  peerTurnCalls: number;
  strays: Record<string, number>;
}

/**
 * The ring path's calls ring for the shortest timeout the API takes: the emulator's task queue
 * dispatches each call's deadline task at once and the handler asks for it back every second
 * until the deadline, whether the call has ended or not (functions/tasks/onCallDeadline.ts), a
 * load on every scenario alike that Cloud Tasks never makes; 5 s makes it six times smaller
 * than 30 s. The ring path itself does not depend on the timeout.
 */
const RING_TIMEOUT_S = 5;

/** Calls a scenario makes in a row at its turn; the order of turns changes every round. */
export const BLOCK_CALLS = 10;

/** A shuffle of 0..n-1 from a seed (mulberry32): reproducible, different every round. */
export function shuffled(n: number, seed: number): number[] {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i -= 1) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
  }
  return order;
}

/**
 * Rings `callsPerScenario` calls per scenario, one call at a time: in rounds, each scenario
 * making up to BLOCK_CALLS calls at its turn, the turns in a new order every round, the
 * emulators quiet before every turn.
 */
export async function ringPath(
  fakes: Providers,
  callsPerScenario: number,
  log: (line: string) => void = () => undefined,
  scenarios: RingScenario[] = RING_SCENARIOS,
): Promise<{ rows: RingResult[]; quiet: RingQuiet }> {
  const extensionCount = Math.ceil((callsPerScenario + 2) / CALLS_PER_EXTENSION_BUDGET);
  // Every tenant as large as the largest pool: the ten-device extensions'.
  const total = extensionCount * Math.max(...scenarios.map((s) => s.platforms.length)) + 1;
  const rings: Ring[] = [];
  for (const [i, scenario] of scenarios.entries()) {
    rings.push(await ringer(scenario, i, extensionCount, total, fakes));
  }
  log(
    `ring path: ${scenarios.length} scenarios, each on its own tenant of ${total} devices ` +
      `(${extensionCount} extensions rung)`,
  );
  const arrivals = new Arrivals(fakes);
  const quiet = new Quiescence();
  const samples = scenarios.map(() => ({
    first: [] as number[],
    last: [] as number[],
    response: [] as number[],
  }));
  const made = scenarios.map(() => 0);

  const ringOnce = async (i: number, measured: boolean) => {
    const scenario = scenarios[i];
    const ring = rings[i];
    if (!scenario || !ring) return;
    const id = benchCallId(`ring${i}`);
    const started = Date.now();
    const reply = await ring(id, made[i] ?? 0);
    made[i] = (made[i] ?? 0) + 1;
    const answered = Date.now();
    const times = arrivals.take(id);
    if (reply.pushed !== scenario.platforms.length || times.length !== scenario.platforms.length) {
      throw new Error(`${scenario.name}: ${times.length} pushes arrived for ${reply.text}`);
    }
    await reply.end?.();
    if (!measured) return;
    const sample = samples[i];
    sample?.first.push(Math.min(...times) - started);
    sample?.last.push(Math.max(...times) - started);
    sample?.response.push(answered - started);
  };

  // Two warm-up calls per scenario: the first request of an emulator worker loads the module.
  for (const i of scenarios.keys()) {
    await quiet.wait();
    for (let k = 0; k < 2; k += 1) await ringOnce(i, false);
  }
  const rounds = Math.ceil(callsPerScenario / BLOCK_CALLS);
  let peerTurnCalls = 0;
  const strays = new Map<string, number>();
  for (let round = 0; round < rounds; round += 1) {
    for (const i of shuffled(scenarios.length, round + 1)) {
      await quiet.wait();
      quiet.begunSince();
      const block = Math.min(BLOCK_CALLS, callsPerScenario - round * BLOCK_CALLS);
      for (let k = 0; k < block; k += 1) await ringOnce(i, true);
      if (scenarios[i]?.system !== 'callwake') {
        // callwake's own runs that still land in a peer's turn: its calls' deadline tasks.
        peerTurnCalls += block;
        for (const key of quiet.begunSince()) {
          if (!PEER_FUNCTIONS.test(key)) strays.set(key, (strays.get(key) ?? 0) + 1);
        }
      }
    }
    if ((round + 1) % 10 === 0) log(`ring path: ${(round + 1) * BLOCK_CALLS} calls per scenario`);
  }
  const rows = scenarios.map((scenario, i) => ({
    name: scenario.name,
    short: scenario.short,
    system: scenario.system,
    set: scenario.set,
    devices: scenario.platforms.length,
    calls: callsPerScenario,
    firstArrival: distribution(samples[i]?.first ?? []),
    lastArrival: distribution(samples[i]?.last ?? []),
    response: distribution(samples[i]?.response ?? []),
  }));
  return {
    rows,
    quiet: { ...quiet.stats(), peerTurnCalls, strays: Object.fromEntries(strays) },
  };
}
