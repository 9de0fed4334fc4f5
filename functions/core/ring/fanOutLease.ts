import type { CallPatch } from '../call/callState';
import { heldBy, leaseHeld, renewedLease, takeLease } from '../call/lease';
import type { Call } from '../model';
import { DEFAULT_RETRY_POLICY } from '../send/retryPolicy';

/**
 * The fan-out lease, pure. The request that creates a call holds it from the create and renews
 * it while its pushes run; a PBX retry, or the sweeper, takes it over once it lapses and pushes
 * what is still pending. A lease is short (a crashed instance is replaced within seconds), and
 * is renewed only by a fan-out slow enough to need it, so a normal call pays no extra write.
 */

/** How long a fan-out holds the call before another request may take over its pending pushes. */
export const FANOUT_LEASE_MS = 4_000;

/** Device ids whose push is not recorded yet. */
export const pendingDevices = (call: Call) =>
  Object.entries(call.deliveries)
    .filter(([, d]) => d.status === 'pending')
    .map(([id]) => id)
    .sort();

/** The call still rings, has time left for a push, and has pushes not recorded yet. */
export function needsFanOut(call: Call, now: number): boolean {
  return (
    call.status === 'ringing' &&
    now + DEFAULT_RETRY_POLICY.minAttemptMs < call.expiresAt &&
    pendingDevices(call).length > 0
  );
}

/** Takes the lease when it has lapsed and there is work left. */
export function takeFanOutLease(
  call: Call,
  now: number,
  leaseMs: number,
  holder: string,
): CallPatch | null {
  if (!needsFanOut(call, now) || leaseHeld(call.fanOut, now)) return null;
  return { fanOut: takeLease(holder, now, leaseMs) };
}

/** Extends the holder's lease while there is work left; null once another request took it. */
export function renewFanOutLease(
  call: Call,
  now: number,
  leaseMs: number,
  holder: string,
): CallPatch | null {
  if (!call.fanOut || !heldBy(call.fanOut, holder) || !needsFanOut(call, now)) return null;
  return { fanOut: renewedLease(call.fanOut, now, leaseMs) };
}

/** The request holding the lease is still the one that took it: nobody pushed since. */
export const stillHolds = (call: Call, holder: string) => heldBy(call.fanOut, holder);
