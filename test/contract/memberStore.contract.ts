import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { INVITATION_TTL_MS } from '../../functions/core/limits';
import type { Device } from '../../functions/core/model';
import type { DeviceStore, MemberStore } from '../../functions/core/ports';

/**
 * The MemberStore contract: memberships, the PBX's invitations waiting for the user's consent,
 * and a membership's end taking the user's devices on that extension with it. Checked against
 * the in-memory double and FirestoreMemberStore alike; each test works under a fresh tenant and
 * fresh users, since invitations and memberships are looked up across tenants.
 */
export interface MemberStores {
  members: MemberStore;
  /** Where the member's devices live: the same data as `members`. */
  devices: DeviceStore;
}

const hex = (n: number) => randomBytes(n).toString('hex');
const NOW = 1_700_000_000_000;

const device = (deviceId: string, ownerUid?: string): Device => ({
  deviceId,
  extension: '100',
  platform: 'android',
  fcmToken: `fcm-${hex(12)}`,
  apnsEnv: 'production',
  lastSeenAt: NOW,
  ...(ownerUid ? { ownerUid } : {}),
});

export function memberStoreContract(name: string, make: () => MemberStores): void {
  describe(`MemberStore contract: ${name}`, () => {
    let members: MemberStore;
    let devices: DeviceStore;
    let tenant: string;
    let uid: string;
    beforeEach(() => {
      ({ members, devices } = make());
      tenant = `t-${hex(6)}`;
      uid = `u-${hex(6)}`;
    });

    it('adds a member once: true the first time, false when it is one already', async () => {
      assert.equal(await members.isMember(tenant, '100', uid), false);
      assert.equal(await members.add(tenant, '100', uid, 'pairing'), true);
      assert.equal(await members.add(tenant, '100', uid, 'pairing'), false);
      assert.equal(await members.isMember(tenant, '100', uid), true);
      assert.equal(await members.isMember(tenant, '200', uid), false);
    });

    it('lists every extension a user belongs to, across tenants', async () => {
      const other = `t-${hex(6)}`;
      await members.add(tenant, '100', uid, 'pairing');
      await members.add(tenant, '200', uid, 'invitation');
      await members.add(other, '100', uid, 'pairing');
      await members.add(tenant, '100', `u-${hex(6)}`, 'pairing');
      const key = (m: { tenant: string; extension: string }) => `${m.tenant}/${m.extension}`;
      assert.deepEqual((await members.membershipsOf(uid)).map(key).sort(), [
        ...[`${tenant}/100`, `${tenant}/200`, `${other}/100`].sort(),
      ]);
    });

    it('invites a user once, and says so when it is a member already', async () => {
      assert.equal(await members.invite(tenant, '100', uid, NOW, 5), 'invited');
      assert.equal(await members.invite(tenant, '100', uid, NOW + 1, 5), 'already_invited');
      assert.equal(await members.isMember(tenant, '100', uid), false);
      const member = `u-${hex(6)}`;
      await members.add(tenant, '100', member, 'pairing');
      assert.equal(await members.invite(tenant, '100', member, NOW, 5), 'member');
      assert.deepEqual(await members.invitationsOf(member, NOW), []);
    });

    it('lists a user’s invitations until they expire, then invites it again', async () => {
      await members.invite(tenant, '100', uid, NOW, 5);
      const expiresAt = NOW + INVITATION_TTL_MS;
      assert.deepEqual(await members.invitationsOf(uid, NOW + 1), [
        { uid, tenant, extension: '100', createdAt: NOW, expiresAt },
      ]);
      assert.deepEqual(await members.invitationsOf(uid, expiresAt), []);
      assert.equal(await members.invite(tenant, '100', uid, expiresAt, 5), 'invited');
    });

    it('refuses an invitation past the extension’s pending ones, counting unexpired ones only', async () => {
      await members.invite(tenant, '100', `u-${hex(6)}`, NOW, 2);
      await members.invite(tenant, '100', `u-${hex(6)}`, NOW, 2);
      await assert.rejects(members.invite(tenant, '100', uid, NOW, 2), {
        code: 'limit_exceeded',
      });
      assert.equal(await members.invite(tenant, '200', uid, NOW, 2), 'invited');
      const later = NOW + INVITATION_TTL_MS;
      assert.equal(await members.invite(tenant, '100', uid, later, 2), 'invited');
    });

    it('makes an accepted invitation a membership, once', async () => {
      await members.invite(tenant, '100', uid, NOW, 5);
      assert.equal(await members.answerInvitation(tenant, '100', uid, true, NOW + 1), true);
      assert.equal(await members.isMember(tenant, '100', uid), true);
      assert.deepEqual(await members.invitationsOf(uid, NOW + 1), []);
      assert.equal(await members.answerInvitation(tenant, '100', uid, true, NOW + 2), false);
    });

    it('forgets a declined invitation without making a member', async () => {
      await members.invite(tenant, '100', uid, NOW, 5);
      assert.equal(await members.answerInvitation(tenant, '100', uid, false, NOW + 1), true);
      assert.equal(await members.isMember(tenant, '100', uid), false);
      assert.deepEqual(await members.invitationsOf(uid, NOW + 1), []);
    });

    it('answers false to an invitation that expired or never was, and makes no member', async () => {
      assert.equal(await members.answerInvitation(tenant, '100', uid, true, NOW), false);
      await members.invite(tenant, '100', uid, NOW, 5);
      const expiresAt = NOW + INVITATION_TTL_MS;
      assert.equal(await members.answerInvitation(tenant, '100', uid, true, expiresAt), false);
      assert.equal(await members.isMember(tenant, '100', uid), false);
    });

    it('ends a membership with the devices the user registered on that extension', async () => {
      await members.add(tenant, '100', uid, 'pairing');
      await devices.upsert(tenant, device('mine', uid));
      await devices.upsert(tenant, device('pbx'));
      assert.equal(await members.remove(tenant, '100', uid), true);
      assert.equal(await members.isMember(tenant, '100', uid), false);
      assert.equal(await devices.get(tenant, 'mine'), null);
      assert.notEqual(await devices.get(tenant, 'pbx'), null);
      assert.equal(await members.remove(tenant, '100', uid), false);
    });

    it('withdraws a pending invitation on removal', async () => {
      await members.invite(tenant, '100', uid, NOW, 5);
      assert.equal(await members.remove(tenant, '100', uid), true);
      assert.deepEqual(await members.invitationsOf(uid, NOW), []);
      assert.equal(await members.answerInvitation(tenant, '100', uid, true, NOW), false);
    });
  });
}
