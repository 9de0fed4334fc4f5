import { randomBytes } from 'node:crypto';

/** Fresh identifiers per test, so tests never share state. */
export const fcmToken = () => `fcm_${randomBytes(40).toString('base64url')}`;
export const voipToken = () => randomBytes(32).toString('hex');
export const callId = () =>
  `${String(Date.now()).slice(0, 10)}.${randomBytes(4).readUInt32BE() % 100000}`;
/** An HMS Push Kit token: opaque, about 130 characters. */
export const hmsToken = () => `hms_${randomBytes(72).toString('base64url')}`;
