import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import {
  Timestamp,
  collection,
  deleteDoc,
  getDoc,
  getDocs,
  query,
  serverTimestamp,
  setDoc,
  updateDoc,
  where,
} from 'firebase/firestore';
import assert from 'node:assert/strict';
import { ALICE, BOB, CAROL, DAVE, answerOf, app, seed, useScene, without } from './rulesEnv';
import { SUITE_TIMEOUT_MS } from '../support/wait';

describe('rules: call answers', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  const { rulesEnv, scene, tenantDoc } = useScene();

  const answer = (uid: string | null, deviceId: string, call = scene.ringing) =>
    tenantDoc(uid, `calls/${call}/answers/${deviceId}`);

  it('lets a member answer a ringing call with its own device, and read its own answer only', async () => {
    await assertSucceeds(
      setDoc(answer(ALICE, scene.alicePhone), answerOf(scene.alicePhone, ALICE)),
    );
    await assertSucceeds(
      setDoc(answer(BOB, scene.bobPhone), answerOf(scene.bobPhone, BOB, 'decline')),
    );
    const stored = await assertSucceeds(getDoc(answer(ALICE, scene.alicePhone)));
    assert.equal(stored.get('action'), 'accept');
    assert.ok(stored.get('answeredAt') instanceof Timestamp, 'answeredAt is the server time');
    // An answer names its writer's uid: a fellow member reads none but its own.
    await assertFails(getDoc(answer(BOB, scene.alicePhone)));
    const answers = collection(
      app(rulesEnv(), ALICE),
      `tenants/${scene.tenant}/calls/${scene.ringing}/answers`,
    );
    await assertFails(getDocs(answers));
    const own = await assertSucceeds(getDocs(query(answers, where('uid', '==', ALICE))));
    assert.equal(own.size, 1);
  });

  it('keeps a non-member from answering or reading the answers', async () => {
    // carol is on 2002 only; dave left 1001 but his old device is still registered there.
    await assertFails(setDoc(answer(CAROL, scene.carolPhone), answerOf(scene.carolPhone, CAROL)));
    await assertFails(setDoc(answer(DAVE, scene.davePhone), answerOf(scene.davePhone, DAVE)));
    await assertSucceeds(
      setDoc(answer(ALICE, scene.alicePhone), answerOf(scene.alicePhone, ALICE)),
    );
    await assertFails(getDoc(answer(CAROL, scene.alicePhone)));
    await assertFails(
      getDocs(
        collection(
          app(rulesEnv(), CAROL),
          `tenants/${scene.tenant}/calls/${scene.ringing}/answers`,
        ),
      ),
    );
  });

  it('keeps a member from answering with a device that is not its own on this extension', async () => {
    // bob's phone, even claiming bob's uid; then as alice.
    await assertFails(setDoc(answer(ALICE, scene.bobPhone), answerOf(scene.bobPhone, BOB)));
    await assertFails(setDoc(answer(ALICE, scene.bobPhone), answerOf(scene.bobPhone, ALICE)));
    // alice's own device, but registered on 2002.
    await assertFails(setDoc(answer(ALICE, scene.aliceDesk), answerOf(scene.aliceDesk, ALICE)));
    // A device the API registered has no owner to speak for it; an unknown id has no device.
    await assertFails(setDoc(answer(ALICE, scene.apiPhone), answerOf(scene.apiPhone, ALICE)));
    await assertFails(setDoc(answer(ALICE, 'no-such-phone'), answerOf('no-such-phone', ALICE)));
  });

  it('keeps a member from answering a call that no longer rings, or does not exist', async () => {
    await assertFails(
      setDoc(answer(ALICE, scene.alicePhone, scene.ended), answerOf(scene.alicePhone, ALICE)),
    );
    for (const status of ['no_devices', 'declined', 'missed', 'cancelled']) {
      await seed(rulesEnv(), {
        [`tenants/${scene.tenant}/calls/${scene.ringing}`]: { extension: '1001', status },
      });
      await assertFails(setDoc(answer(ALICE, scene.alicePhone), answerOf(scene.alicePhone, ALICE)));
    }
    await assertFails(
      setDoc(answer(ALICE, scene.alicePhone, 'no-such-call'), answerOf(scene.alicePhone, ALICE)),
    );
  });

  it('keeps a member from answering a call past its ring deadline, before the expiry job ran', async () => {
    // What the rule reads of a call: its extension, status and ring deadline (epoch ms).
    const path = `tenants/${scene.tenant}/calls/${scene.ringing}`;
    const call = (expiresAt: number) => ({ extension: '1001', status: 'ringing', expiresAt });
    await seed(rulesEnv(), { [path]: call(Date.now() - 1) });
    await assertFails(setDoc(answer(ALICE, scene.alicePhone), answerOf(scene.alicePhone, ALICE)));
    await seed(rulesEnv(), { [path]: call(Date.now() + 30_000) });
    await assertSucceeds(
      setDoc(answer(ALICE, scene.alicePhone), answerOf(scene.alicePhone, ALICE)),
    );
  });

  it('accepts only the exact answer shape', async () => {
    const mine = answer(ALICE, scene.alicePhone);
    const valid = answerOf(scene.alicePhone, ALICE);
    await assertFails(setDoc(mine, { ...valid, outcome: 'won' }));
    await assertFails(setDoc(mine, { ...valid, note: 'hi' }));
    await assertFails(setDoc(mine, { ...valid, uid: BOB }));
    await assertFails(setDoc(mine, { ...valid, deviceId: scene.bobPhone }));
    await assertFails(setDoc(mine, { ...valid, answeredAt: Timestamp.fromMillis(Date.now() - 5) }));
    await assertFails(setDoc(mine, { ...valid, answeredAt: Date.now() }));
    for (const action of ['ACCEPT', 'won', 'answer', '']) {
      await assertFails(setDoc(mine, { ...valid, action }));
    }
    await assertFails(setDoc(mine, without(valid, 'uid')));
    await assertFails(setDoc(mine, without(valid, 'answeredAt')));
    // The same write in the right shape goes through: the refusals above were the shape's.
    await assertSucceeds(setDoc(mine, valid));
  });

  it('lets nobody change or remove an answer once written', async () => {
    const mine = answer(ALICE, scene.alicePhone);
    await assertSucceeds(setDoc(mine, answerOf(scene.alicePhone, ALICE)));
    await assertFails(setDoc(mine, answerOf(scene.alicePhone, ALICE, 'decline')));
    await assertFails(updateDoc(mine, { action: 'decline', answeredAt: serverTimestamp() }));
    await assertFails(updateDoc(mine, { outcome: 'won' }));
    await assertFails(deleteDoc(mine));
    // Nor the one the server settled.
    await seed(rulesEnv(), {
      [`tenants/${scene.tenant}/calls/${scene.ringing}/answers/${scene.bobPhone}`]: {
        action: 'accept',
        deviceId: scene.bobPhone,
        uid: BOB,
        answeredAt: Timestamp.now(),
        outcome: 'late',
      },
    });
    await assertFails(updateDoc(answer(BOB, scene.bobPhone), { outcome: 'won' }));
    await assertFails(deleteDoc(answer(BOB, scene.bobPhone)));
  });
});
