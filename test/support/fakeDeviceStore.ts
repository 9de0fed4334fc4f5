import {
  actorOf,
  addsToCounts,
  capExceeded,
  deviceChangeRefusal,
  extensionsAtStake,
  refusalError,
  tokenConflict,
  tokenInUseError,
  tokenMoves,
  type DeviceActor,
  type DeviceCaps,
  type TokenHolder,
} from '../../functions/core/devices/deviceAccess';
import { limitError } from '../../functions/core/errors';
import { tokensOf, withoutTokens } from '../../functions/core/devices/deviceTokens';
import type { Device } from '../../functions/core/model';
import type { DeviceStore } from '../../functions/core/ports';
import type { ApnsEnv } from '../../functions/core/send/push';

/** Whether `uid` is a member of `extension` right now (FakeMemberStore.has). */
type MembershipCheck = (tenant: string, extension: string, uid: string) => boolean;

/**
 * Devices in memory, held to the same contract as FirestoreDeviceStore
 * (test/contract/deviceStore.contract.ts): tokens unique within a tenant and owned across the
 * deployment, a device gone with its last token, the caps, and the access rule of
 * core/devices/deviceAccess.ts.
 */
export class FakeDeviceStore implements DeviceStore {
  /** Every dropToken call, in order (also when the device no longer held the token). */
  readonly dropped: { tenant: string; deviceId: string; token: string }[] = [];
  /** Every setApnsEnv call that changed a device. */
  readonly envChanges: { tenant: string; deviceId: string; env: ApnsEnv }[] = [];
  private readonly byTenant = new Map<string, Map<string, Device>>();

  /** Without `isMember`, no member may write (as a store with no member documents). */
  constructor(private readonly isMember: MembershipCheck = () => false) {}

  /** Why the member or PBX writing may not change `deviceId` (core/devices/deviceAccess.ts), or null. */
  private refusal(tenant: string, actor: DeviceActor, deviceId: string, next: string | null) {
    const current = this.tenant(tenant).get(deviceId) ?? null;
    const memberOf = new Set(
      extensionsAtStake(current, next).filter(
        (ext) => actor.kind === 'member' && this.isMember(tenant, ext, actor.uid),
      ),
    );
    return deviceChangeRefusal(actor, current, next, memberOf);
  }

  private tenant(tenant: string): Map<string, Device> {
    let devices = this.byTenant.get(tenant);
    if (!devices) {
      devices = new Map();
      this.byTenant.set(tenant, devices);
    }
    return devices;
  }

  /** The stored device, synchronously, for assertions. */
  peek(tenant: string, deviceId: string): Device | undefined {
    return this.tenant(tenant).get(deviceId);
  }

  get(tenant: string, deviceId: string): Promise<Device | null> {
    const device = this.tenant(tenant).get(deviceId);
    return Promise.resolve(device ? { ...device } : null);
  }

  /** Stores a device as is, for arranging a test. */
  put(tenant: string, device: Device): void {
    this.tenant(tenant).set(device.deviceId, { ...device });
  }

  listByExtension(tenant: string, extension: string): Promise<Device[]> {
    const devices = [...this.tenant(tenant).values()].filter((d) => d.extension === extension);
    return Promise.resolve(devices.map((d) => ({ ...d })));
  }

  listForRing(tenant: string, extension: string, caps: DeviceCaps): Promise<Device[]> {
    const all = [...this.tenant(tenant).values()].filter((d) => d.extension === extension);
    if (all.length <= caps.appPerExtension + caps.pbxPerExtension) {
      return Promise.resolve(all.map((d) => ({ ...d })));
    }
    const pbx = all.filter((d) => !d.ownerUid).slice(0, caps.pbxPerExtension);
    const app = all
      .filter((d) => d.ownerUid)
      .sort((a, b) => b.lastSeenAt - a.lastSeenAt)
      .slice(0, caps.appPerExtension);
    return Promise.resolve([...pbx, ...app].map((d) => ({ ...d })));
  }

  /** Every device in any tenant holding one of `device`'s tokens. */
  private holders(device: Device): TokenHolder[] {
    const tokens = new Set(tokensOf(device).map((held) => held.token));
    return [...this.byTenant].flatMap(([tenant, devices]) =>
      [...devices.values()]
        .filter((d) => tokensOf(d).some((held) => tokens.has(held.token)))
        .map((d) => ({ tenant, device: { ...d } })),
    );
  }

  upsert(tenant: string, device: Device, caps?: DeviceCaps): Promise<{ created: boolean }> {
    const devices = this.tenant(tenant);
    const refusal = this.refusal(tenant, actorOf(device), device.deviceId, device.extension);
    if (refusal) return Promise.reject(refusalError(device.deviceId, refusal));
    const holders = this.holders(device);
    if (tokenConflict(tenant, device, holders)) return Promise.reject(tokenInUseError());
    const before = devices.get(device.deviceId) ?? null;
    if (caps && addsToCounts(before, device)) {
      const others = [...devices.values()].filter((d) => d.deviceId !== device.deviceId);
      const onExtension = others.filter((d) => d.extension === device.extension);
      const counts = {
        appOnExtension: onExtension.filter((d) => d.ownerUid).length,
        pbxOnExtension: onExtension.filter((d) => !d.ownerUid).length,
        ofUser: device.ownerUid ? others.filter((d) => d.ownerUid === device.ownerUid).length : 0,
      };
      const over = capExceeded(before, device, counts, caps);
      if (over) return Promise.reject(limitError(over, 409, `${over} reached`));
    }
    const tokens = new Set(tokensOf(device).map((held) => held.token));
    for (const moved of tokenMoves(tenant, device, holders)) {
      const current = devices.get(moved.deviceId);
      if (current) this.strip(tenant, current, tokens);
    }
    const created = before === null;
    devices.set(device.deviceId, { ...device });
    return Promise.resolve({ created });
  }

  remove(tenant: string, extension: string, deviceId: string, byUid?: string): Promise<boolean> {
    const devices = this.tenant(tenant);
    const current = devices.get(deviceId);
    if (current?.extension !== extension) return Promise.resolve(false);
    if (byUid !== undefined) {
      if (current.ownerUid !== byUid) return Promise.resolve(false);
      const refusal = this.refusal(tenant, { kind: 'member', uid: byUid }, deviceId, null);
      if (refusal) return Promise.reject(refusalError(deviceId, refusal));
    }
    devices.delete(deviceId);
    return Promise.resolve(true);
  }

  /** What FakeMemberStore.remove does to the devices of a membership that ends. */
  removeOwned(tenant: string, extension: string, uid: string): void {
    const devices = this.tenant(tenant);
    for (const [id, device] of [...devices]) {
      if (device.extension === extension && device.ownerUid === uid) devices.delete(id);
    }
  }

  dropToken(tenant: string, deviceId: string, token: string): Promise<void> {
    this.dropped.push({ tenant, deviceId, token });
    const device = this.tenant(tenant).get(deviceId);
    if (device) this.strip(tenant, device, new Set([token]));
    return Promise.resolve();
  }

  setApnsEnv(tenant: string, deviceId: string, voipToken: string, env: ApnsEnv): Promise<boolean> {
    const device = this.tenant(tenant).get(deviceId);
    if (device?.voipToken !== voipToken) return Promise.resolve(false);
    if (device.apnsEnv !== env) {
      this.tenant(tenant).set(deviceId, { ...device, apnsEnv: env });
      this.envChanges.push({ tenant, deviceId, env });
    }
    return Promise.resolve(true);
  }

  getMany(tenant: string, deviceIds: string[]): Promise<Device[]> {
    const devices = this.tenant(tenant);
    return Promise.resolve(
      deviceIds.flatMap((id) => {
        const device = devices.get(id);
        return device ? [{ ...device }] : [];
      }),
    );
  }

  private strip(tenant: string, device: Device, tokens: Set<string>): void {
    const kept = withoutTokens(device, tokens);
    if (kept === null) this.tenant(tenant).delete(device.deviceId);
    else this.tenant(tenant).set(device.deviceId, kept);
  }
}
