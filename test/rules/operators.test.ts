import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import {
  collection,
  deleteDoc,
  doc,
  getDoc,
  getDocs,
  limit,
  orderBy,
  query,
  setDoc,
  updateDoc,
  where,
} from 'firebase/firestore';
import assert from 'node:assert/strict';
import {
  ALICE,
  answerOf,
  app,
  randomId,
  seed,
  seedScene,
  useRulesEnv,
  type Scene,
} from './rulesEnv';

/**
 * Console operators read a tenant's calls straight from Firestore (its live list and health
 * page listen to tenants/{t}/calls). operators/{uid} names the tenants and roles; only the
 * server writes it. An operator of one tenant must reach nothing of another, however it asks.
 */
describe('rules: console operators', function () {
  this.timeout(30_000);
  const rulesEnv = useRulesEnv();
  let a: Scene;
  let b: Scene;
  // operators/ is shared by every tenant: fresh uids keep the tests apart.
  let viewerA = '';
  let adminB = '';

  beforeEach(async () => {
    [a, b] = await Promise.all([seedScene(rulesEnv()), seedScene(rulesEnv())]);
    viewerA = randomId('op');
    adminB = randomId('op');
    const at = `tenants/${a.tenant}/calls/${a.ended}`;
    await seed(rulesEnv(), {
      [`operators/${viewerA}`]: { uid: viewerA, tenants: { [a.tenant]: 'viewer' }, updatedAt: 1 },
      [`operators/${adminB}`]: { uid: adminB, tenants: { [b.tenant]: 'admin' }, updatedAt: 1 },
      [`${at}/answers/${a.bobPhone}`]: { action: 'accept', deviceId: a.bobPhone, uid: 'bob' },
      [`${at}/receipts/${a.bobPhone}`]: { deviceId: a.bobPhone, uid: 'bob', receivedAt: 1 },
      [`tenants/${a.tenant}/metricShards/0`]: { calls: { accepted: 1 } },
    });
  });

  const db = (uid: string) => app(rulesEnv(), uid);
  const calls = (uid: string, scene: Scene) => collection(db(uid), `tenants/${scene.tenant}/calls`);

  it("lets an operator read its tenant's calls, one by one and as the console lists them", async () => {
    const one = await assertSucceeds(getDoc(doc(calls(viewerA, a), a.ringing)));
    assert.equal(one.get('status'), 'ringing');
    const listed = await assertSucceeds(
      getDocs(query(calls(viewerA, a), orderBy('createdAt', 'desc'), limit(50))),
    );
    assert.deepEqual(listed.docs.map((d) => d.id).sort(), [a.ringing, a.ended, a.other].sort());
    await assertSucceeds(getDoc(doc(db(viewerA), `operators/${viewerA}`)));
  });

  it('keeps an operator of tenant B from every document of tenant A, read directly', async () => {
    const t = `tenants/${a.tenant}`;
    const outsider = db(adminB);
    await assertFails(getDoc(doc(calls(adminB, a), a.ringing)));
    await assertFails(getDocs(calls(adminB, a)));
    await assertFails(getDocs(query(calls(adminB, a), orderBy('createdAt', 'desc'), limit(50))));
    await assertFails(getDocs(query(calls(adminB, a), where('extension', '==', '1001'))));
    await assertFails(getDoc(doc(outsider, `${t}/calls/${a.ended}/answers/${a.bobPhone}`)));
    await assertFails(getDocs(collection(outsider, `${t}/calls/${a.ended}/answers`)));
    await assertFails(getDocs(collection(outsider, `${t}/calls/${a.ended}/receipts`)));
    await assertFails(getDoc(doc(outsider, `${t}/devices/${a.alicePhone}`)));
    await assertFails(getDocs(collection(outsider, `${t}/devices`)));
    await assertFails(getDoc(doc(outsider, `${t}/extensions/1001/members/${ALICE}`)));
    await assertFails(getDoc(doc(outsider, `${t}/metricShards/0`)));
    await assertFails(getDoc(doc(outsider, t)));
    await assertFails(getDoc(doc(outsider, `operators/${viewerA}`)));
    await assertFails(getDocs(collection(outsider, 'operators')));
    // The same holds the other way round: A's operator sees nothing of B.
    await assertFails(getDoc(doc(calls(viewerA, b), b.ringing)));
    await assertFails(getDocs(calls(viewerA, b)));
    // And B's operator still reads B's own calls: the refusals above are not a broken rule.
    await assertSucceeds(getDoc(doc(calls(adminB, b), b.ringing)));
  });

  it('grants nothing to a role that is not viewer or admin, a revoked operator, or none', async () => {
    const odd = randomId('op');
    const revoked = randomId('op');
    const stranger = randomId('op');
    await seed(rulesEnv(), {
      [`operators/${odd}`]: { uid: odd, tenants: { [a.tenant]: 'owner' }, updatedAt: 1 },
      [`operators/${revoked}`]: { uid: revoked, tenants: {}, updatedAt: 1 },
    });
    for (const uid of [odd, revoked, stranger]) {
      await assertFails(getDoc(doc(calls(uid, a), a.ringing)));
      await assertFails(getDocs(calls(uid, a)));
    }
  });

  it('lets no operator write: not a call, an answer, nor its own roles', async () => {
    const t = `tenants/${a.tenant}`;
    const op = db(viewerA);
    await assertFails(updateDoc(doc(op, `${t}/calls/${a.ringing}`), { status: 'accepted' }));
    await assertFails(setDoc(doc(op, `${t}/calls/forged`), { extension: '1001', status: 'x' }));
    await assertFails(deleteDoc(doc(op, `${t}/calls/${a.ended}`)));
    await assertFails(
      setDoc(
        doc(op, `${t}/calls/${a.ringing}/answers/${a.alicePhone}`),
        answerOf(a.alicePhone, viewerA),
      ),
    );
    await assertFails(
      setDoc(
        doc(op, `operators/${viewerA}`),
        { tenants: { [a.tenant]: 'admin', [b.tenant]: 'admin' } },
        { merge: true },
      ),
    );
    await assertFails(
      setDoc(doc(op, `operators/${randomId('op')}`), { tenants: { [b.tenant]: 'admin' } }),
    );
    const roles = await assertSucceeds(getDoc(doc(op, `operators/${viewerA}`)));
    assert.deepEqual(roles.get('tenants'), { [a.tenant]: 'viewer' });
  });
});
