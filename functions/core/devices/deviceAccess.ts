import { AppError } from '../errors';
import { limitFor, type TenantLimits } from '../limits';
import type { Device } from '../model';

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
 * A push token belongs to one owner (tokenConflict below): registering it again moves it off
 * the owner's other device (a reinstall); anyone else's registration of it is refused.
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

/**
 * Who owns a device across the deployment: its app user (the same user in any tenant), or one
 * tenant's PBX.
 */
export function deviceOwner(tenant: string, device: Pick<Device, 'ownerUid'>): string {
  return device.ownerUid ? `user:${device.ownerUid}` : `pbx:${tenant}`;
}

/** A device, anywhere in the deployment, that holds a token being registered. */
export interface TokenHolder {
  tenant: string;
  device: Device;
}

/**
 * Holding a push token is no proof of owning the phone: tokens travel in SIP REGISTERs
 * (`pn-prid`), often in clear. So a token moves to another device only when the same owner
 * registers it (a reinstall, a new device id); any holder of another owner refuses the whole
 * registration (409 token_in_use), and nothing changes. Returns the first such holder, or null.
 * The same user may hold one token in several tenants (one phone, two companies).
 */
export function tokenConflict(
  tenant: string,
  written: Device,
  holders: readonly TokenHolder[],
): TokenHolder | null {
  const owner = deviceOwner(tenant, written);
  return (
    holders.find(
      (h) =>
        !(h.tenant === tenant && h.device.deviceId === written.deviceId) &&
        deviceOwner(h.tenant, h.device) !== owner,
    ) ?? null
  );
}

/** The holders a same-owner registration takes the tokens from: those in the same tenant. */
export function tokenMoves(
  tenant: string,
  written: Device,
  holders: readonly TokenHolder[],
): Device[] {
  const moved = new Map<string, Device>();
  for (const h of holders) {
    if (h.tenant === tenant && h.device.deviceId !== written.deviceId) {
      moved.set(h.device.deviceId, h.device);
    }
  }
  return [...moved.values()];
}

/** The 409 a token held by another owner's device answers; it names neither device nor owner. */
export function tokenInUseError(): AppError {
  return new AppError(
    'token_in_use',
    'This push token is registered on a device of another user or PBX; it moves only when its owner registers it again (or that device is removed).',
  );
}

/** The devices counted against the per-extension and per-user caps, other than the one written. */
export interface DeviceCounts {
  /** App users' devices on the extension the device goes to. */
  appOnExtension: number;
  /** The PBX's devices on that extension. */
  pbxOnExtension: number;
  /** Devices the writing user owns in the tenant (0 for the PBX). */
  ofUser: number;
}

export interface DeviceCaps {
  appPerExtension: number;
  pbxPerExtension: number;
  perUser: number;
}

/** The caps that hold for `tenant` (its own numbers where its document sets them). */
export function defaultDeviceCaps(tenant?: { limits?: TenantLimits }): DeviceCaps {
  return {
    appPerExtension: limitFor('app_devices_per_extension', tenant),
    pbxPerExtension: limitFor('pbx_devices_per_extension', tenant),
    perUser: limitFor('devices_per_user', tenant),
  };
}

/**
 * Whether writing `next` over `before` adds a device to an extension's count (a new device, a
 * move to another extension, or a change of owner); only such a write is held to the caps.
 */
export function addsToCounts(before: Device | null, next: Device): boolean {
  const sameOwner = before !== null && (before.ownerUid ?? null) === (next.ownerUid ?? null);
  return !sameOwner || before.extension !== next.extension;
}

/**
 * Which cap a registration would pass, or null. A refresh that adds to no count (the same
 * device, owner and extension) always goes through, so devices registered before a cap was
 * lowered keep refreshing. App users' and the PBX's devices have separate budgets per
 * extension: members cannot crowd out the PBX's desk phones.
 */
export function capExceeded(
  before: Device | null,
  next: Device,
  counts: DeviceCounts,
  caps: DeviceCaps,
): 'app_devices_per_extension' | 'pbx_devices_per_extension' | 'devices_per_user' | null {
  const sameOwner = before !== null && (before.ownerUid ?? null) === (next.ownerUid ?? null);
  const joinsExtension = addsToCounts(before, next);
  if (next.ownerUid) {
    if (!sameOwner && counts.ofUser >= caps.perUser) return 'devices_per_user';
    if (joinsExtension && counts.appOnExtension >= caps.appPerExtension) {
      return 'app_devices_per_extension';
    }
    return null;
  }
  return joinsExtension && counts.pbxOnExtension >= caps.pbxPerExtension
    ? 'pbx_devices_per_extension'
    : null;
}
