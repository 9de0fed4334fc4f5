/**
 * Ring path: from the PBX's POST /v1/calls to each push arriving at the fake FCM / APNs
 * (their `receivedAt`, same clock as the bench). Scenarios are interleaved call by call, so
 * a noisy moment hits them all alike.
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
} from './fixtures';
import { distribution, type Distribution } from './stats';

export interface RingScenario {
  name: string;
  /** For the summary line. */
  short: string;
  platforms: Platform[];
}

export interface RingResult {
  name: string;
  short: string;
  devices: number;
  calls: number;
  /** POST /v1/calls → the first push at a provider. */
  firstArrival: Distribution;
  /** POST /v1/calls → the last push at a provider. */
  lastArrival: Distribution;
  /** POST /v1/calls → the PBX has its answer (every push accepted and recorded). */
  response: Distribution;
}

export const RING_SCENARIOS: RingScenario[] = [
  { name: '1 device (Android, FCM)', short: 'Android', platforms: ['android'] },
  { name: '1 device (iOS, APNs VoIP)', short: 'iOS', platforms: ['ios'] },
  {
    name: '10 devices (5 Android + 5 iOS)',
    short: '10 devices',
    platforms: TEN_DEVICES,
  },
];

/** `call_id` of a push the fakes recorded: in FCM's `message.data`, at the top of an APNs body. */
function callIdOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as { call_id?: unknown; message?: { data?: { call_id?: unknown } } };
  const id = record.message?.data?.call_id ?? record.call_id;
  return typeof id === 'string' ? id : undefined;
}

/** Arrival times by call id, read from the fakes' records since the last look. */
class Arrivals {
  private readonly seen = new Map<object, number>();
  private readonly byCall = new Map<string, number[]>();

  constructor(private readonly fakes: Providers) {}

  take(callId: string): number[] {
    const { fcm, apns } = this.fakes;
    for (const list of [fcm.requests, apns.production.requests, apns.sandbox.requests]) {
      const from = this.seen.get(list) ?? 0;
      for (const request of list.slice(from)) {
        const id = callIdOf(request.body);
        if (id !== undefined)
          this.byCall.set(id, [...(this.byCall.get(id) ?? []), request.receivedAt]);
      }
      this.seen.set(list, list.length);
    }
    const times = this.byCall.get(callId) ?? [];
    this.byCall.delete(callId);
    return times;
  }
}

/** Rings `callsPerScenario` calls per scenario, one call at a time. */
export async function ringPath(
  fakes: Providers,
  callsPerScenario: number,
  log: (line: string) => void = () => undefined,
): Promise<RingResult[]> {
  const scenarios = RING_SCENARIOS;
  const tenant = await createTenant('live');
  const extensionCount = Math.ceil(callsPerScenario / CALLS_PER_EXTENSION_BUDGET);
  const pools = [];
  for (const [i, scenario] of scenarios.entries()) {
    pools.push(await registerExtensions(tenant, `r${i}x`, extensionCount, scenario.platforms));
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
      const extensions = pools[i] ?? [];
      const to = extensions[(call + 2) % extensions.length] ?? '';
      const id = benchCallId(`ring${i}`);
      const started = Date.now();
      const reply = expectStatus(await postCall(tenant, id, to), [201], `ringing ${to}`);
      const answered = Date.now();
      const times = arrivals.take(id);
      if (
        reply.fields.pushed !== scenario.platforms.length ||
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
    devices: scenario.platforms.length,
    calls: callsPerScenario,
    firstArrival: distribution(samples[i]?.first ?? []),
    lastArrival: distribution(samples[i]?.last ?? []),
    response: distribution(samples[i]?.response ?? []),
  }));
}
