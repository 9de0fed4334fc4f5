import type { Call, CallEndReason, CallStatus, CancelState, Delivery, EndReason } from '../model';

/**
 * The call's state machine, pure: each function takes the stored call and
 * returns the fields to write, or null when nothing changes. `ringing` moves
 * once to a final state; whoever gets there first wins, inside a transaction.
 */

/** The cancel push's reason for a call that ended for `reason`: the others learn it was taken. */
export const cancelReasonOf = (reason: CallEndReason | undefined): EndReason =>
  reason === 'answered' ? 'answered_elsewhere' : (reason ?? 'other');
export const PBX_CANCEL_REASONS = [
  'hangup',
  'timeout',
  'busy',
  'answered_elsewhere',
  'other',
] as const;
export type PbxCancelReason = (typeof PBX_CANCEL_REASONS)[number];

export interface Answer {
  action: 'accept' | 'decline';
  deviceId: string;
  uid: string;
  answeredAt: number;
}

/** Fields of the call document a transition writes (dotted keys reach into maps). */
export type CallPatch = Record<string, unknown>;

const isFinal = (status: CallStatus) => status !== 'ringing';

/**
 * A push that may have made the phone ring: accepted, still being sent (or left pending by an
 * instance that died), or unanswered by the provider (which may have taken it all the same).
 */
export const mayHaveRung = (d: Delivery) =>
  d.status === 'accepted' || d.status === 'pending' || d.status === 'unknown';

/**
 * Devices that may be ringing: every device a push was (or is being) handed
 * to, except the one that ended the call and those whose token just died.
 */
export function ringingDevices(call: Call, except?: string): string[] {
  return Object.entries(call.deliveries)
    .filter(([id, d]) => id !== except && mayHaveRung(d))
    .map(([id]) => id)
    .sort();
}

function end(
  call: Call,
  status: CallStatus,
  reason: CallEndReason,
  now: number,
  except?: string,
): CallPatch {
  const cancel: CancelState = {
    state: 'pending',
    reason: cancelReasonOf(reason),
    targets: ringingDevices(call, except),
  };
  return { status, endReason: reason, endedAt: now, cancel };
}

/** A ringing call whose ring time has run out: it is over, whether or not a job has said so. */
export const pastDeadline = (call: Call, now: number) =>
  call.status === 'ringing' && now >= call.expiresAt;

/**
 * The call as it stands at `now`: a ringing call past its deadline is `missed` (reason
 * `timeout`, ended at the deadline) even before a job or a request has written it. Every answer
 * the API gives goes through here, so the status, the long-poll and the answer's outcome agree
 * at the deadline; the write follows (applyExpiry), from whichever comes first.
 */
export function asOf(call: Call, now: number): Call {
  if (!pastDeadline(call, now)) return call;
  return { ...call, status: 'missed', endReason: 'timeout', endedAt: call.expiresAt };
}

/** The ring time ran out: the call ends `missed` at its deadline, and every device is told. */
function expire(call: Call): CallPatch {
  return end(call, 'missed', 'timeout', call.expiresAt);
}

/**
 * An app's accept or decline: the first answer of a ringing call wins; later ones are late, and
 * so is any answer settled at or after the ring deadline, even before the expiry job has run:
 * by then the PBX has stopped waiting for it.
 */
export function applyAnswer(
  call: Call,
  answer: Answer,
  now: number,
): { outcome: 'won' | 'late'; patch: CallPatch } {
  const record = { answer: answer.action, answeredAt: answer.answeredAt };
  if (isFinal(call.status) || now >= call.expiresAt) {
    const late = { deliveries: { [answer.deviceId]: { ...record, late: true } } };
    // Past the deadline a still-ringing call is missed: this write says so too.
    const patch = pastDeadline(call, now) ? { ...expire(call), ...late } : late;
    return { outcome: 'late', patch };
  }
  const accepted = answer.action === 'accept';
  const patch: CallPatch = {
    // decline rejects the call for every device, as SIP 603 Decline does.
    ...end(
      call,
      accepted ? 'accepted' : 'declined',
      accepted ? 'answered' : 'declined',
      now,
      answer.deviceId,
    ),
    deliveries: { [answer.deviceId]: record },
    // The winning device only: every member reads the call, and no member reads another's uid
    // (the answer document keeps it, readable by its writer alone).
    ...(accepted ? { answeredBy: answer.deviceId, answeredAt: answer.answeredAt } : {}),
  };
  return { outcome: 'won', patch };
}

/**
 * The PBX stopped the call (caller hung up, answered elsewhere, ...). Idempotent. Its own ring
 * timeout (`timeout`) and a cancel that comes after the deadline both end the call `missed`:
 * one name for nobody answering in time, whoever noticed first.
 */
export function applyPbxCancel(call: Call, reason: PbxCancelReason, now: number): CallPatch | null {
  if (isFinal(call.status)) return null;
  if (pastDeadline(call, now)) return expire(call);
  return end(call, reason === 'timeout' ? 'missed' : 'cancelled', reason, now);
}

/** The ring time ran out with no answer. */
export function applyExpiry(call: Call, now: number): CallPatch | null {
  if (!pastDeadline(call, now)) return null;
  return expire(call);
}

/** The app acknowledged a push: fills in the device's delivered time once. */
export function applyReceipt(call: Call, deviceId: string, receivedAt: number): CallPatch | null {
  const delivery = call.deliveries[deviceId];
  if (!delivery || delivery.deliveredAt !== undefined) return null;
  return { deliveries: { [deviceId]: { deliveredAt: receivedAt } } };
}
