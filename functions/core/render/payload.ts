import type { Call, EndReason } from '../model';

/**
 * The keys apps read, identical in the FCM `data` map and the APNs body.
 * Values are strings because FCM data maps only carry strings, and apps
 * built from the seed guides parse both pushes with the same code.
 */
export type IncomingCallPayload = Record<
  | 'type'
  | 'call_id'
  | 'call_uuid'
  | 'caller_id'
  | 'caller_number'
  | 'caller_name'
  | 'extension'
  | 'sip_call_id'
  | 'tenant'
  | 'expires_at',
  string
>;

/** What an app shows for a caller with no name or number. */
export const UNKNOWN_CALLER = 'Unknown';

/** The keys every push about a call carries. */
function callKeys(call: Call) {
  const number = call.from ?? '';
  return {
    call_id: call.callId,
    call_uuid: call.callUuid,
    caller_id: number,
    caller_number: number,
    caller_name: call.fromName ?? (number || UNKNOWN_CALLER),
    extension: call.extension,
    sip_call_id: call.sipCallId,
    tenant: call.tenant,
  };
}

/** Builds the incoming-call payload shared by every platform. */
export function incomingCallPayload(call: Call): IncomingCallPayload {
  return { type: 'incoming_call', ...callKeys(call), expires_at: String(call.expiresAt) };
}

export type CallCancelledPayload = Omit<IncomingCallPayload, 'type' | 'expires_at'> & {
  type: 'call_cancelled';
  reason: EndReason;
};

/** Tells the app to stop ringing `call_uuid` (and why: a missed call, or answered elsewhere). */
export function callCancelledPayload(call: Call, reason: EndReason): CallCancelledPayload {
  return { type: 'call_cancelled', ...callKeys(call), reason };
}
