import { cancelReasonOf, type CallPatch } from '../call/callState';
import { leaseHeld, takeLease } from '../call/lease';
import type { Call, CancelState, DeliveryResult } from '../model';

/**
 * The cancel job's state machine, pure (the store applies it in a transaction). A job is sent
 * in rounds: the first stops every device that may ring when the call ends; a follow-up round
 * covers a device whose incoming push settled after its cancel had gone out (check-then-send
 * races cannot be prevented, only answered: see docs/guarantees.md).
 */

/** How long one run holds the cancel job before another may take it over (budget + margin). */
export const CANCEL_LEASE_MS = 15_000;
/** Longest the cancel pushes of one round may take, retries included. */
export const CANCEL_BUDGET_MS = 10_000;
/** A request already sent reaches the provider within this (what a dead instance sent lands). */
export const IN_FLIGHT_MS = 1_000;
/** Two instances' clocks agree within this (they are NTP-synchronised; the simulation skews them). */
export const CLOCK_SKEW_MS = 1_000;
/** A cancel no provider accepted is sent again in a round this much later. */
export const CANCEL_RETRY_MS = 2_000;

/**
 * Until when a cancel no provider accepted is sent again: while the phone may still ring (the
 * incoming push expires at the ring deadline, and the app stops there), and for one round's
 * budget after a call that ended at its deadline (the missed-call notice).
 */
export const cancelRetryUntil = (call: Call) =>
  Math.max(call.expiresAt, (call.endedAt ?? call.expiresAt) + CANCEL_BUDGET_MS);

const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])].sort();

/**
 * `holder` takes the job if it is due: pending, or sending under an expired lease (the run that
 * took it died). A round taken over from a dead run also covers the devices owed a follow-up
 * while that run held it: their pushes were recorded before this take, so this round's cancels
 * come after.
 */
export function leaseCancel(
  cancel: CancelState | undefined,
  now: number,
  leaseMs: number,
  holder: string,
): CancelState | null {
  if (!cancel || cancelWaitUntil(cancel, now) !== null) return null;
  if (cancel.state !== 'pending' && cancel.state !== 'sending') return null;
  const owed = cancel.more ?? [];
  return {
    ...cancel,
    state: 'sending',
    ...takeLease(holder, now, leaseMs),
    ...(owed.length > 0 ? { targets: union(cancel.targets, owed), more: [] } : {}),
  };
}

/**
 * Until when the job is not to be taken: another live run holds it (its lease), or its next
 * round must wait for pushes still in flight. Null when it can be taken now, or is done.
 */
export function cancelWaitUntil(cancel: CancelState | undefined, now: number): number | null {
  if (cancel?.state === 'sending') return leaseHeld(cancel, now) ? cancel.leaseUntil : null;
  const until = cancel?.state === 'pending' ? cancel.notBefore : undefined;
  return until !== undefined && until > now ? until : null;
}

/** Another live run holds the job, or its next round is not due yet. */
export const cancelBusy = (cancel: CancelState | undefined, now: number) =>
  cancelWaitUntil(cancel, now) !== null;

/** The transition by which `holder` takes the job. */
export function leaseCancelPatch(
  call: Call,
  now: number,
  leaseMs: number,
  holder: string,
): CallPatch | null {
  const cancel = leaseCancel(call.cancel, now, leaseMs, holder);
  return cancel ? { cancel } : null;
}

/**
 * Records a round's outcomes. The run that finishes the current round closes it: the job is
 * sent, or the next round becomes pending. The next round takes the devices owed a follow-up
 * meanwhile (their incoming push was recorded after this round began); once, the targets
 * whose incoming push is still unrecorded: a request holding the fan-out lease may still land
 * one after this cancel. That round waits until the lease has lapsed and what was in flight has
 * landed (a live request records its pushes, and owes the follow-up itself; a dead one can
 * not). And, until cancelRetryUntil, the devices whose cancel no provider accepted and that are
 * worth another try (worthRetrying), CANCEL_RETRY_MS later. A run that lost its lease to
 * another only adds its outcomes.
 */
export function finishCancelPatch(
  call: Call,
  round: number,
  results: Record<string, DeliveryResult>,
  now: number,
): CallPatch {
  const cancel = call.cancel;
  if (cancel?.state !== 'sending' || (cancel.round ?? 0) !== round) return { cancels: results };
  const landedBy = (call.fanOut?.leaseUntil ?? 0) + IN_FLIGHT_MS;
  const inFlight =
    cancel.afterInFlight || (cancel.takenAt ?? now) >= landedBy
      ? []
      : cancel.targets.filter((id) => call.deliveries[id]?.status === 'pending');
  const retry =
    now + CANCEL_RETRY_MS < cancelRetryUntil(call)
      ? Object.entries(results)
          .filter(([, r]) => worthRetrying(r))
          .map(([id]) => id)
      : [];
  const next = union(union(cancel.more ?? [], inFlight), retry);
  if (next.length === 0) return { cancels: results, cancel: { state: 'sent', sentAt: now } };
  return {
    cancels: results,
    cancel: {
      state: 'pending',
      targets: next,
      more: [],
      round: round + 1,
      notBefore: Math.max(
        inFlight.length > 0 ? Math.max(landedBy, now) : 0,
        retry.length > 0 ? now + CANCEL_RETRY_MS : 0,
      ),
      afterInFlight: inFlight.length > 0,
    },
  };
}

/**
 * A cancel worth another round: it never left (our sender failed), went unanswered, or the
 * provider was only busy (5xx, 429). A refusal of the request itself (4xx) would come again.
 */
function worthRetrying(result: DeliveryResult): boolean {
  if (result.status === 'unknown') return true;
  if (result.status !== 'failed') return false;
  const status = result.providerStatus;
  return status === undefined || status === 429 || status >= 500;
}

/**
 * Asks for another cancel to `devices` of an ended call: a pending round that does not target
 * them yet takes them in (it is sent after this write); a round being sent owes them a
 * follow-up; a finished job opens a new round. Null when nothing changes.
 */
export function followUpPatch(call: Call, devices: readonly string[]): CallPatch | null {
  if (call.status === 'ringing' || devices.length === 0) return null;
  const cancel = call.cancel;
  if (!cancel) {
    const reason = cancelReasonOf(call.endReason);
    return { cancel: { state: 'pending', reason, targets: union([], devices), round: 0 } };
  }
  if (cancel.state === 'pending') {
    const targets = union(cancel.targets, devices);
    return targets.length === cancel.targets.length ? null : { cancel: { targets } };
  }
  if (cancel.state === 'sending') {
    const before = cancel.more ?? [];
    const more = union(before, devices);
    return more.length === before.length ? null : { cancel: { more } };
  }
  return {
    cancel: {
      state: 'pending',
      targets: union([], devices),
      more: [],
      round: (cancel.round ?? 0) + 1,
      notBefore: 0,
      afterInFlight: false,
    },
  };
}
