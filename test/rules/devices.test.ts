import { assertFails } from '@firebase/rules-unit-testing';
import {
  deleteDoc,
  deleteField,
  getDoc,
  getDocs,
  query,
  setDoc,
  updateDoc,
  where,
} from 'firebase/firestore';
import { ALICE, BOB, CAROL, DAVE, deviceDoc, useScene } from './rulesEnv';
import { SUITE_TIMEOUT_MS } from '../support/wait';

/**
 * Devices are server-only (firestore.rules, core/devices/deviceAccess.ts): a token moves to whoever
 * registers it, so no client may read one, and only the API can keep tokens unique and stamp
 * lastSeenAt. Apps register through PUT /v1/app/devices/{id}.
 */
describe('rules: devices', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  const { scene, tenantDoc, tenantCollection } = useScene();

  const device = (uid: string | null, deviceId: string) => tenantDoc(uid, `devices/${deviceId}`);
  const devices = (uid: string | null) => tenantCollection(uid, 'devices');

  it('lets no one read a device or its token, not even its owner or a member of its extension', async () => {
    for (const uid of [ALICE, BOB, CAROL, DAVE, null]) {
      for (const id of [scene.alicePhone, scene.bobPhone, scene.apiPhone, scene.carolPhone]) {
        await assertFails(getDoc(device(uid, id)));
      }
      await assertFails(getDocs(query(devices(uid), where('extension', '==', '1001'))));
      await assertFails(getDocs(query(devices(uid), where('ownerUid', '==', uid ?? ''))));
      await assertFails(getDocs(devices(uid)));
    }
  });

  it('lets no one register a device through the SDK, even in the once valid shape', async () => {
    await assertFails(setDoc(device(ALICE, 'pixel'), deviceDoc('pixel', '1001', ALICE)));
    await assertFails(setDoc(device(CAROL, 'carol-2'), deviceDoc('carol-2', '2002', CAROL)));
    // Nor with a token another device holds and a lastSeenAt far in the future.
    const stolen = deviceDoc('dup', '1001', BOB, { lastSeenAt: Number.MAX_SAFE_INTEGER });
    await assertFails(setDoc(device(BOB, 'dup'), stolen));
    await assertFails(setDoc(device(null, 'pixel'), deviceDoc('pixel', '1001', ALICE)));
  });

  it('lets no one change or take over a device: its own, another user’s or the PBX’s', async () => {
    await assertFails(updateDoc(device(ALICE, scene.alicePhone), { lastSeenAt: Date.now() }));
    await assertFails(updateDoc(device(ALICE, scene.alicePhone), { extension: '2002' }));
    await assertFails(updateDoc(device(ALICE, scene.alicePhone), { fcmToken: deleteField() }));
    await assertFails(updateDoc(device(ALICE, scene.bobPhone), { ownerUid: ALICE }));
    await assertFails(
      setDoc(device(ALICE, scene.apiPhone), deviceDoc(scene.apiPhone, '1001', ALICE)),
    );
    await assertFails(
      setDoc(device(ALICE, scene.carolPhone), deviceDoc(scene.carolPhone, '1001', ALICE)),
    );
  });

  it('lets no one delete a device, its owner included', async () => {
    await assertFails(deleteDoc(device(ALICE, scene.alicePhone)));
    await assertFails(deleteDoc(device(BOB, scene.alicePhone)));
    await assertFails(deleteDoc(device(ALICE, scene.apiPhone)));
    await assertFails(deleteDoc(device(DAVE, scene.davePhone)));
    await assertFails(deleteDoc(device(null, scene.alicePhone)));
  });
});
