import type { CallPatch } from './callState';
import { followUpPatch } from './cancelJob';
import type { DeliveryResult } from './deliver';
import type { Call, Delivery } from './model';

/**
 * Which of two outcomes for one device the call keeps: two requests may push the same device
 * (a slow creator and the retry that took over), and their records may land in any order. The
 * one that says more about whether the phone rang wins.
 */
const RANK: Record<Delivery['status'], number> = {
  pending: 0,
  failed: 1,
  dead_token: 2,
  unknown: 3,
  accepted: 4,
};

function outcome(result: DeliveryResult): Partial<Delivery> {
  return {
    status: result.status,
    attempts: result.attempts,
    pushedAt: result.pushedAt,
    settledAt: result.settledAt,
    ...(result.providerStatus === undefined ? {} : { providerStatus: result.providerStatus }),
    ...(result.reason === undefined ? {} : { reason: result.reason }),
    ...(result.providerId === undefined ? {} : { providerId: result.providerId }),
  };
}

/**
 * Records push outcomes on the call (the transition of `CallStore.transition`). When the call
 * has ended meanwhile, a device whose push may have rung is owed a cancel sent after this
 * record: the cancel job may already have stopped it before this push reached it, and on
 * Android the push would then have replaced the cancel under their shared collapse key.
 */
export function applyDeliveries(
  call: Call,
  results: Record<string, DeliveryResult>,
): CallPatch | null {
  const deliveries: Record<string, Partial<Delivery>> = {};
  const merged = { ...call.deliveries };
  for (const [deviceId, result] of Object.entries(results)) {
    const current = call.deliveries[deviceId];
    if (!current || RANK[result.status] < RANK[current.status]) continue;
    if (RANK[result.status] === RANK[current.status] && current.settledAt !== undefined) continue;
    deliveries[deviceId] = outcome(result);
    merged[deviceId] = { ...current, ...deliveries[deviceId] };
  }
  // A device that answered needs no cancel: its app has the answer's outcome.
  const owed = Object.entries(results)
    .filter(([id, r]) => (r.status === 'accepted' || r.status === 'unknown') && !merged[id]?.answer)
    .map(([id]) => id)
    .filter((id) => id in call.deliveries);
  const followUp = followUpPatch(call, owed);
  if (Object.keys(deliveries).length === 0 && !followUp) return null;
  const pushed = Object.values(merged).filter((d) => d.status === 'accepted').length;
  return { deliveries, pushed, ...followUp };
}
