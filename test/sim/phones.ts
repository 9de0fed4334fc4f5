import type { Device } from '../../functions/core/model';
import type { PhoneSpec } from './scenario';

export const EXTENSION = '100';

/** A phone of the schedule: its app's user, its registration and its tokens over time. */
export interface SimPhone {
  index: number;
  deviceId: string;
  spec: PhoneSpec;
  uid: string;
  idToken: string;
  fcmToken?: string;
  voipToken?: string;
  /** When its registration was acknowledged (-Infinity: before the schedule), or null. */
  registeredAt: number | null;
  /** When its app asked to unregister it, or null. */
  deletedAt: number | null;
  rotations: number;
}

const segment = (text: string) => Buffer.from(text).toString('base64url');

export function makePhone(spec: PhoneSpec, index: number, seed: number): SimPhone {
  const deviceId = `d${index}`;
  const uid = `uid-${deviceId}`;
  const voip = spec.kind === 'ios_voip' || spec.kind === 'ios_voip_fcm';
  return {
    index,
    deviceId,
    spec,
    uid,
    // JWT-shaped, as identify() expects an ID token to be; verifyIdToken maps it back.
    idToken: `${segment('{"alg":"none"}')}.${segment(JSON.stringify({ uid }))}.sig`,
    ...(spec.kind === 'ios_voip' ? {} : { fcmToken: `fcm-${index}-${seed.toString(36)}-0` }),
    ...(voip
      ? { voipToken: (seed.toString(16) + index.toString(16)).padStart(64, 'a').slice(-64) }
      : {}),
    registeredAt: null,
    deletedAt: null,
    rotations: 0,
  };
}

/** The token incoming pushes go to, and the one cancels go to. */
export const pushToken = (p: SimPhone) => p.voipToken ?? p.fcmToken ?? '';

/** The device record a phone registers. */
export function deviceOf(phone: SimPhone, now: number): Device {
  return {
    deviceId: phone.deviceId,
    extension: EXTENSION,
    platform: phone.spec.kind === 'android' ? 'android' : 'ios',
    ...(phone.fcmToken ? { fcmToken: phone.fcmToken } : {}),
    ...(phone.voipToken ? { voipToken: phone.voipToken, appId: 'com.example.phone' } : {}),
    apnsEnv: phone.spec.registeredEnv,
    lastSeenAt: now,
    // Registered by its user through the app API: only the owner may answer for it.
    ownerUid: phone.uid,
  };
}
