import type { DocumentReference, Firestore, Transaction } from 'firebase-admin/firestore';
import {
  actorOf,
  deviceChangeRefusal,
  extensionsAtStake,
  refusalError,
  type DeviceActor,
} from '../core/deviceAccess';
import { holdsToken, tokensOf, withoutTokens } from '../core/deviceTokens';
import type { Device } from '../core/model';
import type { DeviceStore } from '../core/ports';
import type { ApnsEnv } from '../core/push';
import { paths } from './firestore';

type DeviceDoc = Device & { createdAt: number };

/**
 * Removes `tokens` (of any kind, core/deviceTokens.ts) from another device inside a
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

  async upsert(tenant: string, device: Device): Promise<{ created: boolean }> {
    const col = this.db.collection(paths.devices(tenant));
    const ref = col.doc(device.deviceId);
    const held = tokensOf(device);
    const tokens = new Set(held.map((h) => h.token));
    return this.db.runTransaction(async (tx) => {
      const holders = await Promise.all(
        held.map(({ path, token }) => tx.get(col.where(path, '==', token))),
      );
      const current = await tx.get(ref);
      const before = (current.data() as DeviceDoc | undefined) ?? null;
      const actor = actorOf(device);
      // Read in this transaction: a membership removed concurrently cannot let the write through.
      const memberOf = await this.membershipsAtStake(tx, tenant, actor, before, device.extension);
      const refusal = deviceChangeRefusal(actor, before, device.extension, memberOf);
      if (refusal) throw refusalError(device.deviceId, refusal);
      const stripped = new Set<string>();
      for (const doc of holders.flatMap((snap) => snap.docs)) {
        if (doc.id === device.deviceId || stripped.has(doc.id)) continue;
        stripped.add(doc.id);
        stripTokens(tx, doc.ref, doc.data() as DeviceDoc, tokens);
      }
      const createdAt = before?.createdAt ?? device.lastSeenAt;
      tx.set(ref, { ...device, createdAt });
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
