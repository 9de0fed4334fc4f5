/**
 * Ring path: from the PBX's POST /v1/calls to each push arriving at the fake FCM / APNs / Web
 * Push service / HMS (their `receivedAt`, same clock as the bench), for callwake and for its two peers (bench/peers/):
 * the floor and the seeds' design. Scenarios are interleaved call by call, so a noisy moment
 * hits them all alike.
 */
import type { Providers } from '../test/support/providers';
import {
  CALLS_PER_EXTENSION_BUDGET,
  benchCallId,
  createTenant,
  expectStatus,
  postCall,
  registerExtensions,
  TEN_DEVICES,
  type Platform,
  type TestTenant,
} from './fixtures';
import { postFloor, postSeeds, registerSeedGroups } from './peerCalls';
import { distribution, type Distribution } from './stats';

/** Who rings the phones: callwake, the floor, or the seeds' design (bench/peers/). */
export type RingSystem = 'callwake' | 'floor' | 'seeds';

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
    name: "seeds' design: 1 user (Android)",
    short: 'seeds 1',
    system: 'seeds',
    set: 'android1',
    platforms: ['android'],
  },
  {
    name: "seeds' design: 10 users (Android)",
    short: 'seeds 10',
    system: 'seeds',
    set: 'android10',
    platforms: TEN_ANDROID,
  },
];

/**
 * With a provider that takes time to answer, as FCM does from a Cloud Functions region: callwake's
 * parallel fan-out against the seeds' one-user-after-another, the only comparison the delay
 * changes (a single push waits for one answer either way).
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
type Ring = (callId: string, call: number) => Promise<{ pushed: number; text: string }>;

/** Extension pools by device set: callwake and the floor ring the same registered phones. */
type Pools = Map<RingScenario['set'], string[]>;

async function ringer(
  tenant: TestTenant,
  scenario: RingScenario,
  i: number,
  count: number,
  pools: Pools,
  fakes: Providers,
): Promise<Ring> {
  if (scenario.system === 'seeds') {
    const groups = await registerSeedGroups(`s${i}x`, count, scenario.platforms.length);
    return async (id, call) => {
      const reply = await postSeeds(id, groups[call % groups.length] ?? []);
      if (reply.status !== 200)
        throw new Error(`${scenario.name}: HTTP ${reply.status} ${reply.text}`);
      return { pushed: Number(reply.fields.sent), text: reply.text };
    };
  }
  const pool =
    pools.get(scenario.set) ??
    (await registerExtensions(tenant, `r${i}x`, count, scenario.platforms, fakes.webPush));
  pools.set(scenario.set, pool);
  return async (id, call) => {
    const to = pool[call % pool.length] ?? '';
    if (scenario.system === 'floor') {
      const reply = await postFloor(tenant, id, to);
      if (reply.status !== 201)
        throw new Error(`${scenario.name}: HTTP ${reply.status} ${reply.text}`);
      return { pushed: Number(reply.fields.pushed), text: reply.text };
    }
    const reply = expectStatus(await postCall(tenant, id, to), [201], `ringing ${to}`);
    return { pushed: Number(reply.fields.pushed), text: reply.text };
  };
}

/** Rings `callsPerScenario` calls per scenario, one call at a time, scenarios interleaved. */
export async function ringPath(
  fakes: Providers,
  callsPerScenario: number,
  log: (line: string) => void = () => undefined,
  scenarios: RingScenario[] = RING_SCENARIOS,
): Promise<RingResult[]> {
  const tenant = await createTenant('live');
  const extensionCount = Math.ceil((callsPerScenario + 2) / CALLS_PER_EXTENSION_BUDGET);
  const rings: Ring[] = [];
  const pools: Pools = new Map();
  for (const [i, scenario] of scenarios.entries()) {
    rings.push(await ringer(tenant, scenario, i, extensionCount, pools, fakes));
  }
  log(`ring path: ${scenarios.length} scenarios × ${extensionCount} extensions registered`);
  const arrivals = new Arrivals(fakes);
  const samples = scenarios.map(() => ({
    first: [] as number[],
    last: [] as number[],
    response: [] as number[],
  }));

  // Two warm-up calls per scenario: the first request of an emulator worker loads the module.
  for (let call = -2; call < callsPerScenario; call += 1) {
    for (const [i, scenario] of scenarios.entries()) {
      const id = benchCallId(`ring${i}`);
      const started = Date.now();
      const ring = rings[i];
      if (!ring) continue;
      const reply = await ring(id, call + 2);
      const answered = Date.now();
      const times = arrivals.take(id);
      if (
        reply.pushed !== scenario.platforms.length ||
        times.length !== scenario.platforms.length
      ) {
        throw new Error(`${scenario.name}: ${times.length} pushes arrived for ${reply.text}`);
      }
      if (call < 0) continue;
      const sample = samples[i];
      sample?.first.push(Math.min(...times) - started);
      sample?.last.push(Math.max(...times) - started);
      sample?.response.push(answered - started);
    }
    if (call > 0 && call % 100 === 0) log(`ring path: ${call} calls per scenario`);
  }
  return scenarios.map((scenario, i) => ({
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
}
