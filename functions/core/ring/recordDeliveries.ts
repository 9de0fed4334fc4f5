import type { CallPatch } from '../call/callState';
import { CLOCK_SKEW_MS, followUpPatch } from '../cancel/cancelJobState';
import type { Call, Delivery, DeliveryResult } from '../model';
import { stillHolds } from './fanOutLease';

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
 * Android the push would then have replaced the cancel under their shared collapse key. Not
 * when the round being sent was taken after the provider accepted the push: its cancel follows.
 */
export function applyDeliveries(
  call: Call,
  results: Record<string, DeliveryResult>,
  from: { holder?: string; resumed?: boolean } = {},
): CallPatch | null {
  // A push that failed only proves nothing reached the phone if no other request may have
  // pushed it: not when this run resumed another's work, nor once another took the lease.
  const alone = !from.resumed && (from.holder === undefined || stillHolds(call, from.holder));
  if (!alone) results = maybeRang(results);
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
    .filter(([id, r]) => !stoppedAfter(call, id, r))
    .map(([id]) => id)
    .filter((id) => id in call.deliveries);
  const followUp = followUpPatch(call, owed);
  if (Object.keys(deliveries).length === 0 && !followUp) return null;
  const pushed = Object.values(merged).filter((d) => d.status === 'accepted').length;
  return { deliveries, pushed, ...followUp };
}

/**
 * Whether the cancel round being sent (or the last one sent) stops the device after this push
 * already: it targets the device, and was taken after the provider had accepted the push (by
 * more than two instances' clocks can disagree), so its cancel comes after it.
 */
function stoppedAfter(call: Call, deviceId: string, result: DeliveryResult): boolean {
  const cancel = call.cancel;
  if (cancel?.state !== 'sending' && cancel?.state !== 'sent') return false;
  if (cancel.takenAt === undefined || result.status !== 'accepted') return false;
  return cancel.targets.includes(deviceId) && result.settledAt + CLOCK_SKEW_MS < cancel.takenAt;
}

/**
 * Outcomes as they stand beside another request's push that may have reached the phone
 * unrecorded (its instance died, or it is still running): a refusal of this request's push
 * says nothing about that one, so the phone may ring, and it will get a cancel.
 */
export function maybeRang(results: Record<string, DeliveryResult>): Record<string, DeliveryResult> {
  return Object.fromEntries(
    Object.entries(results).map(([id, r]) => [
      id,
      r.status === 'failed' || r.status === 'dead_token' ? { ...r, status: 'unknown' as const } : r,
    ]),
  );
}
