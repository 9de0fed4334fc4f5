import type { Call, WebPushSubscription } from '../model';
import type { RenderedPush } from '../send/push';

/**
 * The Web Push and HMS envelopes: every push to a browser or a Huawei phone, incoming or cancel,
 * goes in one of these (incomingPush.ts and cancelPush.ts fill them in).
 */

/** Where HMS pushes go: Huawei's push server and the app's OAuth client id (HMS_CLIENT_ID). */
export interface HmsEndpoint {
  origin: string;
  clientId: string;
}

/**
 * The RFC 8030 Topic of a call's pushes: a later push with the same topic replaces one still
 * queued at the push service, so a cancel replaces an incoming call the browser never got.
 * At most 32 characters of the base64url alphabet (§5.4): the call UUID's 32 hex digits.
 */
export const webPushTopic = (call: Call) => call.callUuid.replace(/-/g, '');

/**
 * A Web Push request to `subscription`: TTL in seconds (RFC 8030 §5.2), high urgency (§5.3: a
 * ringing phone is worth waking a device in power saving), the call's topic. With the
 * subscription's keys the sender encrypts `payload` to them (RFC 8291); without (RFC 8599 §12)
 * the push carries none.
 */
export function webPushRequest(
  call: Call,
  subscription: WebPushSubscription,
  ttlSeconds: number,
  payload: Record<string, unknown>,
): RenderedPush {
  const { endpoint, p256dh, auth } = subscription;
  const keys = p256dh && auth ? { p256dh, auth } : undefined;
  return {
    provider: 'webpush',
    url: endpoint,
    method: 'POST',
    headers: {
      TTL: String(Math.max(0, Math.floor(ttlSeconds))),
      Urgency: 'high',
      Topic: webPushTopic(call),
    },
    token: endpoint,
    body: keys ? payload : {},
    ...(keys ? { webPushKeys: keys } : {}),
  };
}

/**
 * HMS caches offline messages per collapse group (`collapse_key` 1-100: one message per group),
 * so a call's pushes share one group and a cancel replaces a cached incoming call. Two calls
 * ringing at once fall in the same group one time in a hundred; only a phone that was offline
 * for both would then miss the older one.
 */
export const hmsCollapseKey = (call: Call) => (parseInt(call.callUuid.slice(0, 8), 16) % 100) + 1;

/**
 * An HMS Push Kit `messages:send` of a data message (`message.data` is a JSON string, which the
 * app's HmsMessageService reads) to one token: urgency HIGH with category VOIP, the high-priority
 * data message Huawei grants to calling apps on request; TTL in whole seconds, at least one
 * (Huawei refuses a message whose TTL has already run out, 80100004).
 */
export function hmsRequest(
  call: Call,
  hms: HmsEndpoint,
  token: string,
  ttlSeconds: number,
  data: Record<string, string>,
): RenderedPush {
  return {
    provider: 'hms',
    url: `${hms.origin}/v1/${encodeURIComponent(hms.clientId)}/messages:send`,
    method: 'POST',
    headers: {},
    token,
    body: {
      validate_only: false,
      message: {
        data: JSON.stringify(data),
        android: {
          urgency: 'HIGH',
          category: 'VOIP',
          ttl: `${Math.max(1, Math.floor(ttlSeconds))}s`,
          collapse_key: hmsCollapseKey(call),
        },
        token: [token],
      },
    },
  };
}
