import type { Call, Delivery, Device } from '../model';
import { incomingCallPayload } from './payload';
import type { ApnsEnv, RenderedPush } from '../send/push';
import { hmsRequest, webPushRequest, type HmsEndpoint } from './pushEnvelopes';

/**
 * Where pushes go; real providers by default, fakes in tests. (A Web Push goes to the
 * subscription's own endpoint.)
 */
export interface PushEndpoints {
  projectId: string;
  fcmOrigin: string;
  apnsOrigins: Record<ApnsEnv, string>;
  hms: HmsEndpoint;
}

/** A push for one device and how it is classified on the call. */
export interface PlannedPush {
  deviceId: string;
  kind: Delivery['kind'];
  push: RenderedPush;
}

const fcmUrl = (e: PushEndpoints) =>
  `${e.fcmOrigin}/v1/projects/${encodeURIComponent(e.projectId)}/messages:send`;

// FCM allows collapse keys and APNs collapse ids of at most 64 bytes; a UUID keeps both short.
export const collapseId = (call: Call) => `call-${call.callUuid}`;

/** Whole seconds left to ring. */
const secondsLeft = (call: Call, now: number) =>
  Math.max(0, Math.floor((call.expiresAt - now) / 1000));

/** Seconds left to ring, as FCM's Duration string; 0 means "deliver now or drop". */
function remainingTtl(call: Call, now: number): string {
  return `${secondsLeft(call, now)}s`;
}

/**
 * An FCM HTTP v1 send of `message` to `token`: every FCM push, incoming or
 * cancel, Android or iOS, goes in this one envelope.
 */
export function fcmPush(
  e: PushEndpoints,
  token: string,
  message: Record<string, unknown>,
): RenderedPush {
  return {
    provider: 'fcm',
    url: fcmUrl(e),
    method: 'POST',
    headers: {},
    token,
    body: { message: { token, ...message } },
  };
}

/** Android: FCM data-only, high priority, TTL = what is left of the ring time. */
function renderAndroid(call: Call, token: string, e: PushEndpoints, now: number): RenderedPush {
  return fcmPush(e, token, {
    data: incomingCallPayload(call),
    android: { priority: 'high', ttl: remainingTtl(call, now), collapse_key: collapseId(call) },
  });
}

/** iOS with PushKit: a VoIP push straight to APNs (FCM cannot carry PushKit tokens). */
function renderVoip(call: Call, device: Device, token: string, e: PushEndpoints): RenderedPush {
  return {
    provider: 'apns',
    url: `${e.apnsOrigins[device.apnsEnv]}/3/device/${token}`,
    method: 'POST',
    headers: {
      'apns-push-type': 'voip',
      'apns-topic': `${device.appId ?? ''}.voip`,
      'apns-priority': '10',
      'apns-expiration': String(Math.floor(call.expiresAt / 1000)),
      'apns-collapse-id': collapseId(call),
    },
    token,
    apnsEnv: device.apnsEnv,
    // aps.call-id: the SIP Call-ID, which Linphone's iOS library reads to
    // report the call to CallKit (liblinphone src/core/app/ios-app-delegate.mm).
    body: { ...incomingCallPayload(call), aps: { 'call-id': call.sipCallId } },
  };
}

/** iOS without PushKit: FCM relays a time-sensitive alert through APNs. */
function renderIosAlert(call: Call, token: string, e: PushEndpoints): RenderedPush {
  const payload = incomingCallPayload(call);
  return fcmPush(e, token, {
    data: payload,
    apns: {
      headers: {
        'apns-push-type': 'alert',
        'apns-priority': '10',
        'apns-expiration': String(Math.floor(call.expiresAt / 1000)),
        'apns-collapse-id': collapseId(call),
      },
      payload: {
        aps: {
          alert: { title: 'Incoming call', body: `${payload.caller_name} is calling` },
          sound: 'default',
          'interruption-level': 'time-sensitive',
          category: 'INCOMING_CALL',
        },
      },
    },
  });
}

/**
 * The incoming-call push for one device, or null when it has no usable token.
 * Live delivery and the outbox both send exactly this.
 */
export function renderIncomingCall(
  call: Call,
  device: Device,
  endpoints: PushEndpoints,
  now: number,
): PlannedPush | null {
  const { deviceId } = device;
  if (device.platform === 'ios' && device.voipToken && device.appId) {
    return { deviceId, kind: 'voip', push: renderVoip(call, device, device.voipToken, endpoints) };
  }
  if (device.platform === 'web') {
    if (!device.webPush) return null;
    const ttl = secondsLeft(call, now);
    const push = webPushRequest(call, device.webPush, ttl, incomingCallPayload(call));
    return { deviceId, kind: push.webPushKeys ? 'data' : 'wake', push };
  }
  if (device.hmsToken) {
    const ttl = secondsLeft(call, now);
    const push = hmsRequest(call, endpoints.hms, device.hmsToken, ttl, incomingCallPayload(call));
    return { deviceId, kind: 'data', push };
  }
  if (!device.fcmToken) return null;
  if (device.platform === 'ios') {
    return { deviceId, kind: 'alert', push: renderIosAlert(call, device.fcmToken, endpoints) };
  }
  return {
    deviceId,
    kind: 'data',
    push: renderAndroid(call, device.fcmToken, endpoints, now),
  };
}
