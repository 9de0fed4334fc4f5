import type { Firestore } from 'firebase-admin/firestore';
import type { Membership, MemberStore } from '../core/ports';
import { createIfAbsent, paths } from './firestore';

/**
 * Extension members: Firebase Auth users at
 * tenants/{tenant}/extensions/{ext}/members/{uid}. The security rules read
 * the same documents to decide what a signed-in app may see and answer.
 */
export class FirestoreMemberStore implements MemberStore {
  constructor(private readonly db: Firestore) {}

  private ref(tenant: string, extension: string, uid: string) {
    return this.db.doc(`${paths.members(tenant, extension)}/${uid}`);
  }

  async isMember(tenant: string, extension: string, uid: string): Promise<boolean> {
    return (await this.ref(tenant, extension, uid).get()).exists;
  }

  /** Adds a member; true when the user was not one already. */
  async add(
    tenant: string,
    extension: string,
    uid: string,
    via: 'api' | 'pairing',
  ): Promise<boolean> {
    const ref = this.ref(tenant, extension, uid);
    // First: a member that exists always has its extension marked used (extensionDirectory.ts).
    await this.db
      .doc(paths.extension(tenant, extension))
      .set({ extension, lastMemberAt: Date.now() }, { merge: true });
    return createIfAbsent(ref, { uid, tenant, extension, via, createdAt: Date.now() });
  }

  /**
   * Ends a membership, and in the same transaction deletes the devices the user
   * registered on that extension: they would go on ringing for calls the user
   * may no longer see, and no one but the PBX could remove them.
   */
  async remove(tenant: string, extension: string, uid: string): Promise<boolean> {
    const ref = this.ref(tenant, extension, uid);
    const owned = this.db
      .collection(paths.devices(tenant))
      .where('extension', '==', extension)
      .where('ownerUid', '==', uid);
    return this.db.runTransaction(async (tx) => {
      const exists = (await tx.get(ref)).exists;
      const devices = await tx.get(owned);
      for (const device of devices.docs) tx.delete(device.ref);
      if (exists) tx.delete(ref);
      return exists;
    });
  }

  /** Every extension the user belongs to, across tenants. */
  async membershipsOf(uid: string): Promise<Membership[]> {
    const snap = await this.db.collectionGroup('members').where('uid', '==', uid).get();
    return snap.docs.map((doc) => {
      const data = doc.data() as Membership;
      return { tenant: data.tenant, extension: data.extension };
    });
  }
}
