import type {
  DocumentReference,
  Firestore,
  Query,
  QueryDocumentSnapshot,
  Transaction,
} from 'firebase-admin/firestore';
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
  type DeviceCounts,
  type TokenHolder,
} from '../core/devices/deviceAccess';
import { limitError } from '../core/errors';
import { holdsToken, tokensOf, withoutTokens } from '../core/devices/deviceTokens';
import type { Device } from '../core/model';
import type { DeviceStore } from '../core/ports';
import type { ApnsEnv } from '../core/send/push';
import { paths } from './firestore';

/**
 * A device as stored. `registrar` repeats what `ownerUid` says (an app user's, else the PBX's)
 * in a field a query can select on: the caps count each kind, and the ring path keeps the
 * PBX's. Devices stored before it existed lack it, and count for neither until refreshed.
 */
type DeviceDoc = Device & { createdAt: number; registrar?: 'app' | 'pbx' };

const registrarOf = (device: Device) => (device.ownerUid ? 'app' : 'pbx');

/**
 * Removes `tokens` (of any kind, core/devices/deviceTokens.ts) from another device inside a
 * transaction; the device goes when it has no token left.
 */
function stripTokens(
  tx: Transaction,
  ref: DocumentReference,
  doc: DeviceDoc,
  tokens: Set<string>,
): void {
  const kept = withoutTokens(doc, tokens);
  if (kept === null) tx.delete(ref);
  else tx.set(ref, kept);
}

/** The tenant of a device document (tenants/{tenant}/devices/{id}), or null for any other. */
function tenantOfDevice(snap: QueryDocumentSnapshot): string | null {
  const match = /^tenants\/([^/]+)\/devices\/[^/]+$/.exec(snap.ref.path);
  return match?.[1] ?? null;
}

const CAP_MESSAGES = {
  app_devices_per_extension: (caps: DeviceCaps, ext: string) =>
    `Extension ${ext} has ${caps.appPerExtension} devices registered by app users already; unregister one first.`,
  pbx_devices_per_extension: (caps: DeviceCaps, ext: string) =>
    `Extension ${ext} has ${caps.pbxPerExtension} devices registered by the PBX already; delete one first.`,
  devices_per_user: (caps: DeviceCaps) =>
    `You have ${caps.perUser} devices registered already; unregister one first.`,
};

/** Devices under tenants/{tenant}/devices/{deviceId}. */
export class FirestoreDeviceStore implements DeviceStore {
  constructor(private readonly db: Firestore) {}

  async listByExtension(tenant: string, extension: string): Promise<Device[]> {
    const snap = await this.db
      .collection(paths.devices(tenant))
      .where('extension', '==', extension)
      .get();
    return snap.docs.map((doc) => doc.data() as DeviceDoc);
  }

  async listForRing(tenant: string, extension: string, caps: DeviceCaps): Promise<Device[]> {
    const col = this.db.collection(paths.devices(tenant)).where('extension', '==', extension);
    const budget = caps.appPerExtension + caps.pbxPerExtension;
    // One bounded read in the common case; the extension's whole list is never read.
    const first = await col.limit(budget + 1).get();
    const sample = first.docs.map((doc) => doc.data() as DeviceDoc);
    if (sample.length <= budget) return sample;
    // Over its budgets (devices registered before the caps, or a race past them): the PBX's
    // phones first, then the app users' most recently seen.
    const [pbx, app] = await Promise.all([
      col.where('registrar', '==', 'pbx').limit(caps.pbxPerExtension).get(),
      col
        .where('registrar', '==', 'app')
        .orderBy('lastSeenAt', 'desc')
        .limit(caps.appPerExtension)
        .get(),
    ]);
    const chosen = new Map<string, DeviceDoc>();
    for (const doc of pbx.docs) chosen.set(doc.id, doc.data() as DeviceDoc);
    // A PBX phone stored before `registrar` existed is found only in the first read.
    for (const device of sample) {
      if (chosen.size >= caps.pbxPerExtension) break;
      if (device.registrar === undefined && !device.ownerUid) chosen.set(device.deviceId, device);
    }
    for (const doc of app.docs) chosen.set(doc.id, doc.data() as DeviceDoc);
    return [...chosen.values()];
  }

  /** Every device in the deployment holding one of `device`'s tokens, read in `tx`. */
  private async tokenHolders(tx: Transaction, device: Device): Promise<TokenHolder[]> {
    const snaps = await Promise.all(
      tokensOf(device).map(({ path, token }) =>
        tx.get(this.db.collectionGroup('devices').where(path, '==', token)),
      ),
    );
    return snaps.flatMap((snap) =>
      snap.docs.flatMap((doc) => {
        const tenant = tenantOfDevice(doc);
        return tenant ? [{ tenant, device: doc.data() as DeviceDoc }] : [];
      }),
    );
  }

  /** What the caps count, read in `tx` (aggregations: one read each, whatever the number). */
  private async counts(tx: Transaction, tenant: string, device: Device): Promise<DeviceCounts> {
    const col = this.db.collection(paths.devices(tenant));
    const count = async (query: Query) => (await tx.get(query.count())).data().count;
    const onExtension = col.where('extension', '==', device.extension);
    const [appOnExtension, pbxOnExtension, ofUser] = await Promise.all([
      device.ownerUid ? count(onExtension.where('registrar', '==', 'app')) : 0,
      device.ownerUid ? 0 : count(onExtension.where('registrar', '==', 'pbx')),
      device.ownerUid ? count(col.where('ownerUid', '==', device.ownerUid)) : 0,
    ]);
    return { appOnExtension, pbxOnExtension, ofUser };
  }

  async upsert(tenant: string, device: Device, caps?: DeviceCaps): Promise<{ created: boolean }> {
    const col = this.db.collection(paths.devices(tenant));
    const ref = col.doc(device.deviceId);
    const tokens = new Set(tokensOf(device).map((held) => held.token));
    const marker = this.db.doc(paths.extension(tenant, device.extension));
    return this.db.runTransaction(async (tx) => {
      const holders = await this.tokenHolders(tx, device);
      const [current, used] = await Promise.all([tx.get(ref), tx.get(marker)]);
      const before = (current.data() as DeviceDoc | undefined) ?? null;
      const actor = actorOf(device);
      // Read in this transaction: a membership removed concurrently cannot let the write through.
      const memberOf = await this.membershipsAtStake(tx, tenant, actor, before, device.extension);
      const refusal = deviceChangeRefusal(actor, before, device.extension, memberOf);
      if (refusal) throw refusalError(device.deviceId, refusal);
      if (tokenConflict(tenant, device, holders)) throw tokenInUseError();
      // Only a registration that adds to a count reads the counts (a refresh does not).
      if (caps && addsToCounts(before, device)) {
        const over = capExceeded(before, device, await this.counts(tx, tenant, device), caps);
        if (over) throw limitError(over, 409, CAP_MESSAGES[over](caps, device.extension));
      }
      for (const moved of tokenMoves(tenant, device, holders)) {
        stripTokens(tx, col.doc(moved.deviceId), moved as DeviceDoc, tokens);
      }
      const createdAt = before?.createdAt ?? device.lastSeenAt;
      tx.set(ref, { ...device, registrar: registrarOf(device), createdAt });
      // The extension has had a device (FirestoreExtensionDirectory). Written once: only its
      // existence is read, and rewriting it on every registration would make every registration
      // and refresh of the extension write one shared document (and a member's registration
      // change more than its own device).
      if (!used.exists) {
        tx.set(
          marker,
          { extension: device.extension, firstDeviceAt: device.lastSeenAt },
          { merge: true },
        );
      }
      return { created: !current.exists };
    });
  }

  async remove(
    tenant: string,
    extension: string,
    deviceId: string,
    byUid?: string,
  ): Promise<boolean> {
    const ref = this.db.collection(paths.devices(tenant)).doc(deviceId);
    return this.db.runTransaction(async (tx) => {
      const before = ((await tx.get(ref)).data() as DeviceDoc | undefined) ?? null;
      if (before?.extension !== extension) return false;
      if (byUid !== undefined) {
        const actor: DeviceActor = { kind: 'member', uid: byUid };
        // Someone else's device is none of this user's: as unknown as one that does not exist.
        if (before.ownerUid !== byUid) return false;
        const memberOf = await this.membershipsAtStake(tx, tenant, actor, before, null);
        const refusal = deviceChangeRefusal(actor, before, null, memberOf);
        if (refusal) throw refusalError(deviceId, refusal);
      }
      tx.delete(ref);
      return true;
    });
  }

  /** Which of the extensions the change touches the acting member belongs to, read in `tx`. */
  private async membershipsAtStake(
    tx: Transaction,
    tenant: string,
    actor: DeviceActor,
    before: Device | null,
    nextExtension: string | null,
  ): Promise<Set<string>> {
    if (actor.kind === 'pbx') return new Set();
    const extensions = extensionsAtStake(before, nextExtension);
    const refs = extensions.map((ext) => this.db.doc(`${paths.members(tenant, ext)}/${actor.uid}`));
    const snaps = refs.length > 0 ? await tx.getAll(...refs) : [];
    return new Set(extensions.filter((_ext, i) => snaps[i]?.exists));
  }

  async get(tenant: string, deviceId: string): Promise<Device | null> {
    const snap = await this.db.collection(paths.devices(tenant)).doc(deviceId).get();
    return snap.exists ? (snap.data() as DeviceDoc) : null;
  }

  async getMany(tenant: string, deviceIds: string[]): Promise<Device[]> {
    if (deviceIds.length === 0) return [];
    const col = this.db.collection(paths.devices(tenant));
    const snaps = await this.db.getAll(...deviceIds.map((id) => col.doc(id)));
    return snaps.flatMap((snap) => (snap.exists ? [snap.data() as DeviceDoc] : []));
  }

  async dropToken(tenant: string, deviceId: string, token: string): Promise<void> {
    const ref = this.db.collection(paths.devices(tenant)).doc(deviceId);
    await this.db.runTransaction(async (tx) => {
      const snap = await tx.get(ref);
      const doc = snap.data() as DeviceDoc | undefined;
      if (doc && holdsToken(doc, token)) stripTokens(tx, ref, doc, new Set([token]));
    });
  }

  async setApnsEnv(
    tenant: string,
    deviceId: string,
    voipToken: string,
    env: ApnsEnv,
  ): Promise<boolean> {
    const ref = this.db.collection(paths.devices(tenant)).doc(deviceId);
    return this.db.runTransaction(async (tx) => {
      const doc = (await tx.get(ref)).data() as DeviceDoc | undefined;
      // A re-registration may have brought another token (and its own environment) meanwhile.
      if (doc?.voipToken !== voipToken) return false;
      if (doc.apnsEnv !== env) tx.update(ref, { apnsEnv: env });
      return true;
    });
  }
}
