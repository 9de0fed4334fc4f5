import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import {
  collection,
  deleteDoc,
  doc,
  getDoc,
  getDocs,
  query,
  setDoc,
  updateDoc,
  where,
} from 'firebase/firestore';
import assert from 'node:assert/strict';
import { ALICE, BOB, CAROL, app, useScene } from './rulesEnv';
import { SUITE_TIMEOUT_MS } from '../support/wait';

describe('rules: calls', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  const { rulesEnv, scene, tenantDoc, tenantCollection } = useScene();

  const call = (uid: string | null, id: string) => tenantDoc(uid, `calls/${id}`);
  const calls = (uid: string | null) => tenantCollection(uid, 'calls');

  it('lets a member read its extension’s calls, and list them filtered on that extension', async () => {
    const snap = await assertSucceeds(getDoc(call(ALICE, scene.ringing)));
    assert.equal(snap.get('status'), 'ringing');
    await assertSucceeds(getDoc(call(BOB, scene.ended)));
    const listed = await assertSucceeds(
      getDocs(query(calls(BOB), where('extension', '==', '1001'))),
    );
    assert.deepEqual(listed.docs.map((d) => d.id).sort(), [scene.ended, scene.ringing].sort());
  });

  it('keeps a non-member from reading a call', async () => {
    await assertFails(getDoc(call(CAROL, scene.ringing)));
    await assertFails(getDoc(call(BOB, scene.other)));
  });

  it('keeps anyone from listing a tenant’s calls beyond their own extensions', async () => {
    await assertFails(getDocs(calls(CAROL)));
    await assertFails(getDocs(query(calls(CAROL), where('extension', '==', '1001'))));
    // Rules are not filters: even a member must ask for its own extension only.
    await assertFails(getDocs(calls(BOB)));
    await assertFails(getDocs(query(calls(BOB), where('extension', 'in', ['1001', '2002']))));
  });

  it('lets no client forge a call: no update, create or delete, even by a member', async () => {
    await assertFails(
      updateDoc(call(ALICE, scene.ringing), {
        status: 'accepted',
        answeredBy: scene.alicePhone,
        answeredByUid: ALICE,
      }),
    );
    await assertFails(updateDoc(call(ALICE, scene.ringing), { 'cancel.state': 'sent' }));
    await assertFails(
      setDoc(call(ALICE, scene.ended), { status: 'ringing', answeredBy: null }, { merge: true }),
    );
    await assertFails(deleteDoc(call(ALICE, scene.ringing)));
    await assertFails(
      setDoc(call(ALICE, 'forged-call'), {
        extension: '1001',
        tenant: scene.tenant,
        status: 'ringing',
      }),
    );
    const after = await assertSucceeds(getDoc(call(ALICE, scene.ringing)));
    assert.equal(after.get('status'), 'ringing');
    assert.equal(after.get('answeredBy'), undefined);
  });

  it('lets an unauthenticated user read nothing', async () => {
    const t = `tenants/${scene.tenant}`;
    const anon = app(rulesEnv(), null);
    await assertFails(getDoc(call(null, scene.ringing)));
    await assertFails(getDocs(query(calls(null), where('extension', '==', '1001'))));
    await assertFails(getDoc(doc(anon, `${t}/devices/${scene.alicePhone}`)));
    await assertFails(
      getDocs(query(collection(anon, `${t}/devices`), where('extension', '==', '1001'))),
    );
    await assertFails(getDocs(collection(anon, `${t}/calls/${scene.ringing}/answers`)));
    await assertFails(getDocs(collection(anon, `${t}/calls/${scene.ringing}/receipts`)));
    await assertFails(getDoc(doc(anon, `${t}/extensions/1001/members/${ALICE}`)));
    await assertFails(getDoc(doc(anon, t)));
  });
});
