import type { Firestore } from 'firebase-admin/firestore';
import { limitError } from '../core/errors';
import { INVITATION_TTL_MS } from '../core/limits';
import type { Invitation, Membership, MemberStore } from '../core/ports';
import { createIfAbsent, firestoreModule, paths } from './firestore';
import { pageByDocId, type Page, type Paging } from './paging';

/** A member as listed: the user, how it joined (pairing or invitation) and when. */
export interface MemberRecord {
  uid: string;
  via?: string;
  createdAt?: number;
}

/**
 * Extension members: Firebase Auth users at
 * tenants/{tenant}/extensions/{ext}/members/{uid}. The security rules read
 * the same documents to decide what a signed-in app may see and answer.
 * The PBX's invitations wait at tenants/{tenant}/extensions/{ext}/invitations/{uid} until the
 * user accepts (a membership needs the user's consent) or declines.
 */
export class FirestoreMemberStore implements MemberStore {
  constructor(private readonly db: Firestore) {}

  private ref(tenant: string, extension: string, uid: string) {
    return this.db.doc(`${paths.members(tenant, extension)}/${uid}`);
  }

  private invitationRef(tenant: string, extension: string, uid: string) {
    return this.db.doc(`${paths.invitations(tenant, extension)}/${uid}`);
  }

  async isMember(tenant: string, extension: string, uid: string): Promise<boolean> {
    return (await this.ref(tenant, extension, uid).get()).exists;
  }

  /** Adds a member; true when the user was not one already. */
  async add(
    tenant: string,
    extension: string,
    uid: string,
    via: 'pairing' | 'invitation',
  ): Promise<boolean> {
    const ref = this.ref(tenant, extension, uid);
    // First: a member that exists always has its extension marked used (extensionDirectory.ts).
    await this.db
      .doc(paths.extension(tenant, extension))
      .set({ extension, lastMemberAt: Date.now() }, { merge: true });
    return createIfAbsent(ref, { uid, tenant, extension, via, createdAt: Date.now() });
  }

  async invite(
    tenant: string,
    extension: string,
    uid: string,
    now: number,
    maxPending: number,
  ): Promise<'member' | 'invited' | 'already_invited'> {
    const ref = this.invitationRef(tenant, extension, uid);
    const [member, invited] = await Promise.all([
      this.ref(tenant, extension, uid).get(),
      ref.get(),
    ]);
    if (member.exists) return 'member';
    if (invited.exists && (invited.get('expiresAt') as number) > now) return 'already_invited';
    // A count, not a transaction: concurrent invitations may pass the cap together, by as many
    // as are in flight; the cap bounds what a PBX can pile up, not one request more or less.
    const pending = await this.db
      .collection(paths.invitations(tenant, extension))
      .where('expiresAt', '>', now)
      .count()
      .get();
    if (pending.data().count >= maxPending) {
      throw limitError(
        'pending_invitations_per_extension',
        409,
        `Extension ${extension} has ${maxPending} invitations waiting for their users already; withdraw one first (DELETE .../members/{uid}).`,
      );
    }
    const { Timestamp } = await firestoreModule();
    const expiresAt = now + INVITATION_TTL_MS;
    await ref.set({
      uid,
      tenant,
      extension,
      createdAt: now,
      expiresAt,
      purgeAt: Timestamp.fromMillis(expiresAt),
    });
    return 'invited';
  }

  async invitationsOf(uid: string, now: number): Promise<Invitation[]> {
    const snap = await this.db.collectionGroup('invitations').where('uid', '==', uid).get();
    return snap.docs
      .map((doc) => doc.data() as Invitation)
      .filter((inv) => inv.expiresAt > now)
      .map(({ tenant, extension, createdAt, expiresAt }) => ({
        uid,
        tenant,
        extension,
        createdAt,
        expiresAt,
      }));
  }

  async answerInvitation(
    tenant: string,
    extension: string,
    uid: string,
    accept: boolean,
    now: number,
  ): Promise<boolean> {
    const invitation = this.invitationRef(tenant, extension, uid);
    const member = this.ref(tenant, extension, uid);
    return this.db.runTransaction(async (tx) => {
      const [snap, memberSnap] = await tx.getAll(invitation, member);
      const valid = snap?.exists === true && (snap.get('expiresAt') as number) > now;
      if (snap?.exists) tx.delete(invitation);
      if (!valid) return false;
      if (accept && !memberSnap?.exists) {
        tx.set(member, { uid, tenant, extension, via: 'invitation', createdAt: now });
      }
      return true;
    });
  }

  /**
   * Ends a membership, and in the same transaction deletes the devices the user
   * registered on that extension: they would go on ringing for calls the user
   * may no longer see, and no one but the PBX could remove them. A pending invitation goes too
   * (then it answers true: there was something to withdraw).
   */
  async remove(tenant: string, extension: string, uid: string): Promise<boolean> {
    const ref = this.ref(tenant, extension, uid);
    const invitation = this.invitationRef(tenant, extension, uid);
    const owned = this.db
      .collection(paths.devices(tenant))
      .where('extension', '==', extension)
      .where('ownerUid', '==', uid);
    return this.db.runTransaction(async (tx) => {
      const [memberSnap, invitationSnap] = await tx.getAll(ref, invitation);
      const devices = await tx.get(owned);
      for (const device of devices.docs) tx.delete(device.ref);
      if (memberSnap?.exists) tx.delete(ref);
      if (invitationSnap?.exists) tx.delete(invitation);
      return memberSnap?.exists === true || invitationSnap?.exists === true;
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

  /** One page of the extension's members, by uid. */
  page(tenant: string, extension: string, page: Paging): Promise<Page<MemberRecord>> {
    return pageByDocId(
      this.db.collection(paths.members(tenant, extension)),
      page,
      (doc) => doc.data() as MemberRecord,
    );
  }
}
