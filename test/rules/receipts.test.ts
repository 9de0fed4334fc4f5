import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import {
  Timestamp,
  collection,
  deleteDoc,
  getDoc,
  getDocs,
  setDoc,
  updateDoc,
} from 'firebase/firestore';
import assert from 'node:assert/strict';
import { ALICE, BOB, CAROL, DAVE, app, receiptOf, useScene, without } from './rulesEnv';
import { SUITE_TIMEOUT_MS } from '../support/wait';

describe('rules: delivery receipts', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  const { rulesEnv, scene, tenantDoc } = useScene();

  const receipt = (uid: string | null, deviceId: string, call = scene.ringing) =>
    tenantDoc(uid, `calls/${call}/receipts/${deviceId}`);

  it('lets a member acknowledge a push to its own device, in any call state', async () => {
    await assertSucceeds(
      setDoc(receipt(ALICE, scene.alicePhone), receiptOf(scene.alicePhone, ALICE)),
    );
    // A push can land after the call was answered elsewhere.
    await assertSucceeds(
      setDoc(receipt(BOB, scene.bobPhone, scene.ended), receiptOf(scene.bobPhone, BOB)),
    );
    const stored = await assertSucceeds(getDoc(receipt(ALICE, scene.alicePhone)));
    assert.ok(stored.get('receivedAt') instanceof Timestamp, 'receivedAt is the server time');
    // A receipt names its writer's uid: a fellow member reads none but its own.
    await assertFails(getDoc(receipt(BOB, scene.alicePhone)));
    await assertFails(getDoc(receipt(CAROL, scene.alicePhone)));
    await assertFails(
      getDocs(
        collection(
          app(rulesEnv(), CAROL),
          `tenants/${scene.tenant}/calls/${scene.ringing}/receipts`,
        ),
      ),
    );
  });

  it('accepts receipts only for the member’s own device on the call’s extension', async () => {
    await assertFails(setDoc(receipt(ALICE, scene.bobPhone), receiptOf(scene.bobPhone, ALICE)));
    await assertFails(setDoc(receipt(ALICE, scene.bobPhone), receiptOf(scene.bobPhone, BOB)));
    await assertFails(setDoc(receipt(ALICE, scene.aliceDesk), receiptOf(scene.aliceDesk, ALICE)));
    await assertFails(setDoc(receipt(ALICE, scene.apiPhone), receiptOf(scene.apiPhone, ALICE)));
    await assertFails(setDoc(receipt(CAROL, scene.carolPhone), receiptOf(scene.carolPhone, CAROL)));
    await assertFails(setDoc(receipt(DAVE, scene.davePhone), receiptOf(scene.davePhone, DAVE)));
    await assertFails(setDoc(receipt(null, scene.alicePhone), receiptOf(scene.alicePhone, ALICE)));
  });

  it('accepts only the exact receipt shape', async () => {
    const mine = receipt(ALICE, scene.alicePhone);
    const valid = receiptOf(scene.alicePhone, ALICE);
    await assertFails(setDoc(mine, { ...valid, status: 'delivered' }));
    await assertFails(setDoc(mine, { ...valid, uid: BOB }));
    await assertFails(setDoc(mine, { ...valid, deviceId: scene.bobPhone }));
    await assertFails(setDoc(mine, { ...valid, receivedAt: Timestamp.fromMillis(Date.now() - 5) }));
    await assertFails(setDoc(mine, { ...valid, receivedAt: Date.now() }));
    await assertFails(setDoc(mine, without(valid, 'receivedAt')));
    await assertFails(setDoc(mine, without(valid, 'deviceId')));
    await assertSucceeds(setDoc(mine, valid));
  });

  it('lets nobody change or remove a receipt once written', async () => {
    const mine = receipt(ALICE, scene.alicePhone);
    await assertSucceeds(setDoc(mine, receiptOf(scene.alicePhone, ALICE)));
    await assertFails(setDoc(mine, receiptOf(scene.alicePhone, ALICE)));
    await assertFails(updateDoc(mine, { uid: ALICE }));
    await assertFails(deleteDoc(mine));
  });
});
