import { createHash } from 'node:crypto';

/** Fixed namespace for callwake's call UUIDs (a random v4 chosen once; never change it). */
export const CALL_UUID_NAMESPACE = '6f1c5c2e-3a8d-4b7e-9f65-1d2b7c0e8a41';

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

/** RFC 4122 version-5 (SHA-1, name-based) UUID. */
export function uuidV5(name: string, namespace: string): string {
  const hash = createHash('sha1').update(uuidBytes(namespace)).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The call's UUID: derived from tenant and PBX call id, so the incoming push,
 * CallKit's call and any later cancel all name the same call without storage.
 */
export function callUuid(tenant: string, callId: string): string {
  return uuidV5(`${tenant}\u0000${callId}`, CALL_UUID_NAMESPACE);
}
