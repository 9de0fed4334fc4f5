import { AppError } from './errors';
import type { Device } from './model';

/**
 * Who may change a device: one rule for both doors. Through the HTTPS API the
 * stores check it inside the transaction that writes (membership read there
 * too); through Firestore itself no client may write or read a device at all
 * (firestore.rules), because the rules can neither keep a token unique across
 * documents nor hide a token from a reader.
 *
 * - A device belongs to the principal that registered it last: a member
 *   (`ownerUid`) or, without `ownerUid`, the tenant's PBX.
 * - The PBX (its API key) may change or delete any device of its own tenant.
 * - A member may change or delete only a device it owns, and only while it is a
 *   member of the device's extension and of the extension it moves it to.
 *
 * Token moves are the one exception, by design: a push token is proof of being
 * that app instance, so registering a token takes it off whichever device held
 * it before (DeviceStore.upsert). That proof holds because no one but the
 * server can read a token.
 */
export type DeviceActor = { kind: 'pbx' } | { kind: 'member'; uid: string };

export type DeviceRefusal = { reason: 'not_owner' } | { reason: 'not_member'; extension: string };

/** Who is writing `device`: the member named as its owner, else the PBX. */
export function actorOf(device: Pick<Device, 'ownerUid'>): DeviceActor {
  return device.ownerUid ? { kind: 'member', uid: device.ownerUid } : { kind: 'pbx' };
}

/** The extensions whose membership decides a member's change of `current` (to `nextExtension`). */
export function extensionsAtStake(current: Device | null, nextExtension: string | null): string[] {
  const extensions = [current?.extension, nextExtension].filter(
    (ext): ext is string => typeof ext === 'string',
  );
  return [...new Set(extensions)];
}

/**
 * Why `actor` may not change `current` (null: the device does not exist) into a
 * device on `nextExtension` (null: delete it), or null when it may.
 * `memberOf` holds those of extensionsAtStake() the member belongs to.
 */
export function deviceChangeRefusal(
  actor: DeviceActor,
  current: Device | null,
  nextExtension: string | null,
  memberOf: ReadonlySet<string>,
): DeviceRefusal | null {
  if (actor.kind === 'pbx') return null;
  if (current && current.ownerUid !== actor.uid) return { reason: 'not_owner' };
  for (const extension of extensionsAtStake(current, nextExtension)) {
    if (!memberOf.has(extension)) return { reason: 'not_member', extension };
  }
  return null;
}

/** The 403 a refused registration answers. */
export function refusalError(deviceId: string, refusal: DeviceRefusal): AppError {
  return refusal.reason === 'not_owner'
    ? new AppError(
        'permission_denied',
        `Device ${deviceId} is registered by another user or by the PBX; use your own device id.`,
      )
    : new AppError('permission_denied', `You are not a member of extension ${refusal.extension}.`);
}
