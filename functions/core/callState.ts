import type { Call, CallStatus, Delivery } from './model';

/**
 * The call's state machine, pure: each function takes the stored call and
 * returns the fields to write, or null when nothing changes. `ringing` moves
 * once to a final state; whoever gets there first wins, inside a transaction.
 */

export type EndReason = 'answered_elsewhere' | 'declined' | 'hangup' | 'timeout' | 'busy' | 'other';
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

export interface CancelState {
  state: 'pending' | 'sending' | 'sent';
  reason: EndReason;
  /** Devices to stop ringing. */
  targets: string[];
  leaseUntil?: number;
  sentAt?: number;
}

const isFinal = (status: CallStatus) => status !== 'ringing';

/**
 * Devices that may be ringing: every device a push was (or is being) handed
 * to, except the one that ended the call and those whose token just died.
 */
export function ringingDevices(call: Call, except?: string): string[] {
  const live = (d: Delivery) => d.status === 'accepted' || d.status === 'pending';
  return Object.entries(call.deliveries)
    .filter(([id, d]) => id !== except && live(d))
    .map(([id]) => id)
    .sort();
}

function end(
  call: Call,
  status: CallStatus,
  reason: EndReason,
  now: number,
  except?: string,
): CallPatch {
  const cancel: CancelState = { state: 'pending', reason, targets: ringingDevices(call, except) };
  return { status, endReason: reason, endedAt: now, cancel };
}

/** An app's accept or decline: the first answer of a ringing call wins; later ones are late. */
export function applyAnswer(
  call: Call,
  answer: Answer,
  now: number,
): { outcome: 'won' | 'late'; patch: CallPatch } {
  const record = { answer: answer.action, answeredAt: answer.answeredAt };
  if (isFinal(call.status)) {
    return {
      outcome: 'late',
      patch: { deliveries: { [answer.deviceId]: { ...record, late: true } } },
    };
  }
  const accepted = answer.action === 'accept';
  const patch: CallPatch = {
    // decline rejects the call for every device, as SIP 603 Decline does.
    ...end(
      call,
      accepted ? 'accepted' : 'declined',
      accepted ? 'answered_elsewhere' : 'declined',
      now,
      answer.deviceId,
    ),
    deliveries: { [answer.deviceId]: record },
    ...(accepted
      ? { answeredBy: answer.deviceId, answeredByUid: answer.uid, answeredAt: answer.answeredAt }
      : {}),
  };
  return { outcome: 'won', patch };
}

/** The PBX stopped the call (caller hung up, answered elsewhere, ...). Idempotent. */
export function applyPbxCancel(call: Call, reason: PbxCancelReason, now: number): CallPatch | null {
  if (isFinal(call.status)) return null;
  return end(call, 'cancelled', reason, now);
}

/** The ring time ran out with no answer. */
export function applyExpiry(call: Call, now: number): CallPatch | null {
  if (isFinal(call.status) || call.expiresAt > now) return null;
  return end(call, 'missed', 'timeout', now);
}

/** The app acknowledged a push: fills in the device's delivered time once. */
export function applyReceipt(call: Call, deviceId: string, receivedAt: number): CallPatch | null {
  const delivery = call.deliveries[deviceId];
  if (!delivery || delivery.deliveredAt !== undefined) return null;
  return { deliveries: { [deviceId]: { deliveredAt: receivedAt } } };
}

/**
 * Takes the cancel job if it is due: pending, or sending under an expired
 * lease (the trigger that took it died). Returns the new cancel state or null.
 */
export function leaseCancel(
  cancel: CancelState | undefined,
  now: number,
  leaseMs: number,
): CancelState | null {
  if (!cancel) return null;
  const due =
    cancel.state === 'pending' || (cancel.state === 'sending' && (cancel.leaseUntil ?? 0) < now);
  return due ? { ...cancel, state: 'sending', leaseUntil: now + leaseMs } : null;
}
