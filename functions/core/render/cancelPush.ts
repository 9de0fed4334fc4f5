import type { Call, Device, EndReason } from '../model';
import { callCancelledPayload } from './payload';
import { hmsRequest, webPushRequest } from './pushEnvelopes';
import { collapseId, fcmPush, type PlannedPush, type PushEndpoints } from './incomingPush';

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
 * waiting in FCM is replaced rather than delivered late; HMS the same under the
 * call's collapse group; a browser a Web Push under the call's Topic, which
 * replaces the incoming push if the push service still queues it (its service
 * worker must show a notification for it: "Missed call" in place of the call's).
 * A browser whose pushes carry no payload (RFC 8599) gets none: an empty push
 * would only wake it to show a call that has ended.
 */
export function renderCancel(
  call: Call,
  device: Device,
  reason: EndReason,
  endpoints: PushEndpoints,
  now: number,
): PlannedPush | null {
  const { deviceId } = device;
  if (device.platform === 'web') {
    if (!device.webPush?.p256dh) return null;
    const payload = callCancelledPayload(call, reason);
    const push = webPushRequest(call, device.webPush, CANCEL_TTL_SECONDS, payload);
    return { deviceId, kind: 'data', push };
  }
  if (device.hmsToken) {
    const data = callCancelledPayload(call, reason);
    const push = hmsRequest(call, endpoints.hms, device.hmsToken, CANCEL_TTL_SECONDS, data);
    return { deviceId, kind: 'data', push };
  }
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
