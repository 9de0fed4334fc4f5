import type { EndReason } from './callState';
import type { Call, Device } from './model';
import { callCancelledPayload } from './payload';
import { collapseId, fcmPush, type PlannedPush, type PushEndpoints } from './render';

/** A cancel arriving later than this is pointless: the phone stopped ringing on its own. */
export const CANCEL_TTL_SECONDS = 60;

/** Reasons after which the user should see that they missed a call. */
const MISSED: ReadonlySet<EndReason> = new Set(['hangup', 'timeout']);

/**
 * The cancel push for one device, or null when it has no regular token (an
 * iOS device with only a PushKit token learns from its call document).
 *
 * Never a VoIP push: iOS makes an app report every VoIP push as a new
 * CallKit call, and stops waking apps that fail to. Android gets a data-only
 * message under the incoming call's collapse key, so an incoming push still
 * waiting in FCM is replaced rather than delivered late.
 */
export function renderCancel(
  call: Call,
  device: Device,
  reason: EndReason,
  endpoints: PushEndpoints,
  now: number,
): PlannedPush | null {
  const token = device.fcmToken;
  if (!token) return null;
  const data = callCancelledPayload(call, reason);
  if (device.platform === 'android') {
    const android = {
      priority: 'high',
      ttl: `${CANCEL_TTL_SECONDS}s`,
      collapse_key: collapseId(call),
    };
    return {
      deviceId: device.deviceId,
      kind: 'data',
      push: fcmPush(endpoints, token, { data, android }),
    };
  }
  const expiration = String(Math.floor(now / 1000) + CANCEL_TTL_SECONDS);
  const apns = MISSED.has(reason)
    ? {
        headers: {
          'apns-push-type': 'alert',
          'apns-priority': '10',
          'apns-expiration': expiration,
          'apns-collapse-id': collapseId(call),
        },
        payload: {
          aps: {
            alert: { title: 'Missed call', body: `Missed call from ${data.caller_name}` },
            sound: 'default',
            category: 'MISSED_CALL',
          },
        },
      }
    : {
        // Answered or declined elsewhere: nothing to show, just let the app end its CallKit call.
        headers: {
          'apns-push-type': 'background',
          'apns-priority': '5',
          'apns-expiration': expiration,
        },
        payload: { aps: { 'content-available': 1 } },
      };
  return {
    deviceId: device.deviceId,
    kind: MISSED.has(reason) ? 'alert' : 'background',
    push: fcmPush(endpoints, token, { data, apns }),
  };
}
