import type { DeviceCaps } from './deviceAccess';
import { AppError } from '../errors';
import type { Device } from '../model';
import type { DeviceStore } from '../ports';
import type { DeviceRegistration } from '../schemas';

/** A device as an API client may see it: never a full token. */
export interface DeviceView {
  device_id: string;
  extension: string;
  platform: Device['platform'];
  app_id?: string;
  apns_env?: Device['apnsEnv'];
  fcm_token?: string;
  voip_token?: string;
  hms_token?: string;
  /** The push service's origin, and the rest of the endpoint masked. */
  webpush_endpoint?: string;
  /** Whether pushes to it carry a payload (no keys: an RFC 8599 `webpush` phone). */
  webpush_payload?: boolean;
  last_seen_at: string;
}

/** `abcd…wxyz`: enough to tell tokens apart, too little to use one. */
export function maskToken(token: string): string {
  return token.length < 16 ? '***' : `${token.slice(0, 4)}…${token.slice(-4)}`;
}

/** `https://push.example.net/…wxyz`: which push service, not the subscription. */
export function maskEndpoint(endpoint: string): string {
  const origin = URL.canParse(endpoint) ? new URL(endpoint).origin : '';
  return `${origin}/${maskToken(endpoint.slice(origin.length).replace(/^\//, ''))}`;
}

export function deviceView(device: Device): DeviceView {
  return {
    device_id: device.deviceId,
    extension: device.extension,
    platform: device.platform,
    ...(device.appId ? { app_id: device.appId } : {}),
    ...(device.platform === 'ios' ? { apns_env: device.apnsEnv } : {}),
    ...(device.fcmToken ? { fcm_token: maskToken(device.fcmToken) } : {}),
    ...(device.voipToken ? { voip_token: maskToken(device.voipToken) } : {}),
    ...(device.hmsToken ? { hms_token: maskToken(device.hmsToken) } : {}),
    ...(device.webPush
      ? {
          webpush_endpoint: maskEndpoint(device.webPush.endpoint),
          webpush_payload: device.webPush.p256dh !== undefined,
        }
      : {}),
    last_seen_at: new Date(device.lastSeenAt).toISOString(),
  };
}

/** The subscription a registration names; keys only when both are given. */
function webPushOf(input: DeviceRegistration, endpoint: string): Device['webPush'] {
  return input.webpush_p256dh && input.webpush_auth
    ? { endpoint, p256dh: input.webpush_p256dh, auth: input.webpush_auth }
    : { endpoint };
}

/**
 * Registers or refreshes a device of an extension. Without apns_env, a refresh of the same
 * PushKit token keeps the stored environment: a push to the other environment may have shown
 * it wrong (see core/send/deliverPush.ts), and apps refresh at every launch.
 */
export async function registerDevice(
  store: DeviceStore,
  tenant: string,
  extension: string,
  deviceId: string,
  input: DeviceRegistration,
  now: number,
  ownerUid?: string,
  caps?: DeviceCaps,
): Promise<{ created: boolean; device: DeviceView }> {
  const existing = input.apns_env ? null : await store.get(tenant, deviceId);
  const apnsEnv =
    input.apns_env ??
    (existing && existing.voipToken === input.voip_token ? existing.apnsEnv : 'production');
  const device: Device = {
    deviceId,
    extension,
    platform: input.platform,
    apnsEnv,
    lastSeenAt: now,
    ...(input.fcm_token ? { fcmToken: input.fcm_token } : {}),
    ...(input.voip_token ? { voipToken: input.voip_token } : {}),
    ...(input.hms_token ? { hmsToken: input.hms_token } : {}),
    ...(input.webpush_endpoint ? { webPush: webPushOf(input, input.webpush_endpoint) } : {}),
    ...(input.app_id ? { appId: input.app_id } : {}),
    ...(ownerUid ? { ownerUid } : {}),
  };
  const { created } = await store.upsert(tenant, device, caps);
  return { created, device: deviceView(device) };
}

export async function unregisterDevice(
  store: DeviceStore,
  tenant: string,
  extension: string,
  deviceId: string,
): Promise<void> {
  if (!(await store.remove(tenant, extension, deviceId))) {
    throw new AppError(
      'not_found',
      `No device ${deviceId} is registered for extension ${extension}.`,
    );
  }
}
