import { callUuid } from '../../../functions/core/call/callUuid';
import type { Call, Delivery, Device } from '../../../functions/core/model';

/** Shared records for core tests. */

export const NOW = 1_700_000_000_000;
export const VOIP_TOKEN = '0123456789abcdef'.repeat(4);
export const FCM_TOKEN = 'fcm-token:APA91b' + 'x'.repeat(140);

export function ringingCall(overrides: Partial<Call> = {}): Call {
  const tenant = overrides.tenant ?? 'acme';
  const callId = overrides.callId ?? '1700000000.42';
  return {
    tenant,
    callId,
    callUuid: callUuid(tenant, callId),
    extension: '100',
    from: '+3225550100',
    fromName: 'Zoë',
    sipCallId: 'a84b4c76e66710@pbx.example.com',
    status: 'ringing',
    ringTimeout: 30,
    createdAt: NOW,
    expiresAt: NOW + 30_000,
    devices: 1,
    pushed: 0,
    deliveries: {},
    ...overrides,
  };
}

/** What a push's data says of ringingCall(), whatever the push: written out, as apps read it. */
export const payloadCallFields = (call: Call) => ({
  call_id: '1700000000.42',
  call_uuid: call.callUuid,
  caller_id: '+3225550100',
  caller_number: '+3225550100',
  caller_name: 'Zoë',
  extension: '100',
  sip_call_id: 'a84b4c76e66710@pbx.example.com',
  tenant: 'acme',
});

/** A ringing call from a caller who withheld number and name. */
export function anonymousCall(): Call {
  const call = ringingCall();
  delete call.from;
  delete call.fromName;
  return call;
}

export const androidDevice = (overrides: Partial<Device> = {}): Device => ({
  deviceId: 'pixel-8',
  extension: '100',
  platform: 'android',
  fcmToken: FCM_TOKEN,
  apnsEnv: 'production',
  lastSeenAt: NOW - 60_000,
  ...overrides,
});

export const iosVoipDevice = (overrides: Partial<Device> = {}): Device => ({
  deviceId: 'iphone-15',
  extension: '100',
  platform: 'ios',
  voipToken: VOIP_TOKEN,
  appId: 'com.example.phone',
  apnsEnv: 'production',
  lastSeenAt: NOW - 60_000,
  ...overrides,
});

/** An iOS device without PushKit: FCM relays to APNs. */
export function iosFcmDevice(): Device {
  const device = iosVoipDevice({ fcmToken: FCM_TOKEN });
  delete device.voipToken;
  return device;
}

export const HMS_TOKEN = 'IQAAAACy0kYdAAC' + 'h'.repeat(100);
export const WEB_ENDPOINT = 'https://fcm.googleapis.com/fcm/send/dXk3:APA91bE' + 'w'.repeat(80);
// A real P-256 point (the RFC 8291 §5 example's receiver key) and a 16-byte auth secret.
export const WEB_P256DH =
  'BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4';
export const WEB_AUTH = 'BTBZMqHH6r4Tts7J_aSIgg';

export const browserDevice = (overrides: Partial<Device> = {}): Device => ({
  deviceId: 'chrome-tab',
  extension: '100',
  platform: 'web',
  webPush: { endpoint: WEB_ENDPOINT, p256dh: WEB_P256DH, auth: WEB_AUTH },
  apnsEnv: 'production',
  lastSeenAt: NOW - 60_000,
  ...overrides,
});

export const huaweiDevice = (overrides: Partial<Device> = {}): Device => ({
  deviceId: 'mate-60',
  extension: '100',
  platform: 'android',
  hmsToken: HMS_TOKEN,
  apnsEnv: 'production',
  lastSeenAt: NOW - 60_000,
  ...overrides,
});

/** A fresh FCM delivery record each time: the fake store would share one object between devices. */
export const delivery = (status: Delivery['status'], extra: Partial<Delivery> = {}): Delivery => ({
  platform: 'android',
  provider: 'fcm',
  kind: 'data',
  status,
  attempts: 1,
  pushedAt: NOW,
  ...extra,
});
