import type { Call, CallStatus, Delivery, DeliveryResult } from '../model';
import type { Provider } from '../send/push';

/**
 * What a call's write adds to the tenant's metrics, pure. Each write of a call (its create, a
 * transition, a settled answer) is compared with the call before it; what changed becomes
 * observations: the call's outcome once it stops ringing, each push the provider answered, with
 * its latency. The store adds the observations' counts to a counter shard in the same
 * transaction as the write, so a transaction run twice or a trigger delivered twice counts once.
 */

export type Outcome = Exclude<CallStatus, 'ringing'>;
export const OUTCOMES: readonly Outcome[] = [
  'accepted',
  'declined',
  'missed',
  'cancelled',
  'no_devices',
  'unknown_extension',
];
export type PushResult = Exclude<Delivery['status'], 'pending'>;
export const PUSH_RESULTS: readonly PushResult[] = ['accepted', 'dead_token', 'unknown', 'failed'];
/** Cancels go through every provider but APNs (cancelProvider). */
export const CANCEL_PROVIDERS: readonly Provider[] = ['fcm', 'webpush', 'hms'];

/** Histogram upper bounds, in seconds (Prometheus `le`); a last bucket holds the rest (+Inf). */
export const LATENCY_BUCKETS_S: readonly number[] = [
  0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

export type Observation =
  | { kind: 'outcome'; outcome: Outcome; ringMs?: number; answerMs?: number; endMs?: number }
  | {
      kind: 'push';
      push: 'incoming' | 'cancel';
      provider: Provider;
      result: PushResult;
      /** Incoming: call created → provider accepted. Cancel: call ended → provider accepted. */
      latencyMs?: number;
    };

/**
 * Cancels never travel as PushKit pushes (core/render/cancelPush.ts): an iOS device's cancel goes
 * through its FCM token, so its provider is FCM whatever carried the incoming push.
 */
const cancelProvider = (incoming: Provider): Provider => (incoming === 'apns' ? 'fcm' : incoming);

/** The earliest time a provider accepted one of the call's incoming pushes. */
function firstAccepted(call: Call): number | undefined {
  const times = Object.values(call.deliveries)
    .filter((d) => d.status === 'accepted' && d.settledAt !== undefined)
    .map((d) => d.settledAt ?? 0);
  return times.length > 0 ? Math.min(...times) : undefined;
}

const since = (from: number, to: number | undefined) =>
  to === undefined ? undefined : Math.max(0, to - from);

function outcomeOf(call: Call): Observation | null {
  if (call.status === 'ringing') return null;
  const ringMs = since(call.createdAt, firstAccepted(call));
  const answerMs = since(call.createdAt, call.answeredAt);
  const endMs = since(call.createdAt, call.endedAt);
  return {
    kind: 'outcome',
    outcome: call.status,
    ...(ringMs === undefined ? {} : { ringMs }),
    ...(answerMs === undefined ? {} : { answerMs }),
    ...(endMs === undefined ? {} : { endMs }),
  };
}

/** An incoming push is counted each time its recorded answer changes (a new settledAt). */
function incomingPushes(before: Call | null, after: Call): Observation[] {
  return Object.entries(after.deliveries).flatMap(([id, d]): Observation[] => {
    if (d.status === 'pending' || d.settledAt === undefined) return [];
    if (before?.deliveries[id]?.settledAt === d.settledAt) return [];
    const latencyMs = d.status === 'accepted' ? since(after.createdAt, d.settledAt) : undefined;
    return [
      {
        kind: 'push',
        push: 'incoming',
        provider: d.provider,
        result: d.status,
        ...(latencyMs === undefined ? {} : { latencyMs }),
      },
    ];
  });
}

function cancelPushes(before: Call | null, after: Call): Observation[] {
  const cancels: Record<string, DeliveryResult> = after.cancels ?? {};
  return Object.entries(cancels).flatMap(([id, r]): Observation[] => {
    if (before?.cancels?.[id]?.settledAt === r.settledAt) return [];
    const incoming = after.deliveries[id]?.provider ?? 'fcm';
    const latencyMs =
      r.status === 'accepted' && after.endedAt !== undefined
        ? since(after.endedAt, r.settledAt)
        : undefined;
    return [
      {
        kind: 'push',
        push: 'cancel',
        provider: cancelProvider(incoming),
        result: r.status,
        ...(latencyMs === undefined ? {} : { latencyMs }),
      },
    ];
  });
}

/** What changed between the call as stored (null: none yet) and the call as written. */
export function observe(before: Call | null, after: Call): Observation[] {
  const ended = after.status !== 'ringing' && (before === null || before.status === 'ringing');
  const outcome = ended ? outcomeOf(after) : null;
  return [
    ...(outcome ? [outcome] : []),
    ...incomingPushes(before, after),
    ...cancelPushes(before, after),
  ];
}

/**
 * Counter keys, flat: `calls|<outcome>`, `pushes|<provider>|<incoming|cancel>|<result>`,
 * `<ring|cancel>|<provider>|b<i>` (the histogram's bucket i, not cumulative; i =
 * LATENCY_BUCKETS_S.length is +Inf), `…|sum_ms`, `…|count`.
 */
export type Counters = Record<string, number>;

export function bucketOf(ms: number): number {
  const i = LATENCY_BUCKETS_S.findIndex((le) => ms <= le * 1000);
  return i < 0 ? LATENCY_BUCKETS_S.length : i;
}

export const histogramName = (push: 'incoming' | 'cancel') =>
  push === 'incoming' ? 'ring' : 'cancel';

function add(counters: Counters, key: string, by: number): void {
  counters[key] = (counters[key] ?? 0) + by;
}

/** The counter increments of some observations. */
export function countersOf(observations: readonly Observation[]): Counters {
  const counters: Counters = {};
  for (const o of observations) {
    if (o.kind === 'outcome') {
      add(counters, `calls|${o.outcome}`, 1);
      continue;
    }
    add(counters, `pushes|${o.provider}|${o.push}|${o.result}`, 1);
    if (o.latencyMs === undefined) continue;
    const h = `${histogramName(o.push)}|${o.provider}`;
    add(counters, `${h}|b${bucketOf(o.latencyMs)}`, 1);
    add(counters, `${h}|sum_ms`, o.latencyMs);
    add(counters, `${h}|count`, 1);
  }
  return counters;
}

/** Adds counters up (the shards of a tenant, or tenants). */
export function sumCounters(all: readonly Counters[]): Counters {
  const total: Counters = {};
  for (const counters of all) {
    for (const [key, value] of Object.entries(counters)) {
      if (typeof value === 'number' && Number.isFinite(value)) add(total, key, value);
    }
  }
  return total;
}
