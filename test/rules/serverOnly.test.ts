import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import assert from 'node:assert/strict';
import {
  collection,
  collectionGroup,
  deleteDoc,
  doc,
  getDoc,
  getDocs,
  query,
  setDoc,
  updateDoc,
  where,
  type Firestore,
} from 'firebase/firestore';
import { ALICE, BOB, CAROL, DAVE, app, randomId, seed, seedScene, useRulesEnv } from './rulesEnv';
import { SUITE_TIMEOUT_MS } from '../support/wait';

/** Every way a client could touch a document: none may succeed. */
async function assertUntouchable(db: Firestore, path: string): Promise<void> {
  const ref = doc(db, path);
  await assertFails(getDoc(ref));
  await assertFails(getDocs(collection(db, path.slice(0, path.lastIndexOf('/')))));
  await assertFails(setDoc(ref, { tenant: 'mine' }));
  await assertFails(setDoc(doc(db, `${path}-new`), { tenant: 'mine' }));
  await assertFails(updateDoc(ref, { revoked: true }));
  await assertFails(deleteDoc(ref));
}

describe('rules: server-only documents', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  const rulesEnv = useRulesEnv();

  it('keeps tenants, API keys, signing secrets, pairing codes, limits and the outbox from every client', async () => {
    const scene = await seedScene(rulesEnv());
    const paths = {
      tenant: `tenants/${scene.tenant}`,
      apiKey: `apiKeys/${randomId('hash')}`,
      signingKey: `signingKeys/${randomId('cws')}`,
      signedRequest: `signedRequests/${randomId('sig')}`,
      pairingCode: `pairingCodes/${randomId('hash')}`,
      rateLimit: `rateLimits/${randomId('pair')}`,
      longPoll: `tenants/${scene.tenant}/longPolls/${randomId('poll')}`,
      outbox: `pushOutbox/${randomId('push')}`,
    };
    const now = Date.now();
    await seed(rulesEnv(), {
      [paths.apiKey]: { tenant: scene.tenant, createdAt: now },
      [paths.pairingCode]: {
        tenant: scene.tenant,
        extension: '1001',
        createdAt: now,
        expiresAt: now + 600_000,
      },
      [paths.signingKey]: { tenant: scene.tenant, apiKey: 'hash', secret: 'f'.repeat(128) },
      [paths.signedRequest]: { purgeAt: now },
      [paths.rateLimit]: { count: 1 },
      [paths.longPoll]: { startedAt: now, until: now + 20_000 },
      [paths.outbox]: { tenant: scene.tenant, callId: scene.ringing, deviceId: scene.alicePhone },
    });
    for (const uid of [ALICE, CAROL, null]) {
      for (const path of Object.values(paths)) await assertUntouchable(app(rulesEnv(), uid), path);
    }
    // Querying by the member's own tenant does not open them either.
    await assertFails(
      getDocs(
        query(
          collection(app(rulesEnv(), ALICE), 'pushOutbox'),
          where('tenant', '==', scene.tenant),
        ),
      ),
    );
  });

  it('lets a user read its own membership and nothing else under extensions', async () => {
    const scene = await seedScene(rulesEnv());
    const ext = `tenants/${scene.tenant}/extensions`;
    await assertSucceeds(getDoc(doc(app(rulesEnv(), ALICE), `${ext}/1001/members/${ALICE}`)));
    await assertSucceeds(getDoc(doc(app(rulesEnv(), ALICE), `${ext}/2002/members/${ALICE}`)));
    await assertFails(getDoc(doc(app(rulesEnv(), ALICE), `${ext}/1001/members/${BOB}`)));
    await assertFails(getDocs(collection(app(rulesEnv(), ALICE), `${ext}/1001/members`)));
    await assertFails(getDoc(doc(app(rulesEnv(), ALICE), `${ext}/1001`)));
    await assertFails(getDocs(collection(app(rulesEnv(), ALICE), ext)));
  });

  it("lets a user read its own invitations (in every tenant), no one else's; and answer none through the SDK", async () => {
    const scene = await seedScene(rulesEnv());
    const ext = `tenants/${scene.tenant}/extensions`;
    const invitation = (uid: string) => ({
      uid,
      tenant: scene.tenant,
      extension: '1001',
      createdAt: Date.now(),
      expiresAt: Date.now() + 600_000,
    });
    await seed(rulesEnv(), {
      [`${ext}/1001/invitations/${CAROL}`]: invitation(CAROL),
      [`${ext}/1001/invitations/${DAVE}`]: invitation(DAVE),
    });
    const carol = app(rulesEnv(), CAROL);
    await assertSucceeds(getDoc(doc(carol, `${ext}/1001/invitations/${CAROL}`)));
    const mine = await assertSucceeds(
      getDocs(query(collectionGroup(carol, 'invitations'), where('uid', '==', CAROL))),
    );
    assert.equal(mine.size, 1);
    await assertFails(getDoc(doc(carol, `${ext}/1001/invitations/${DAVE}`)));
    await assertFails(getDocs(collection(carol, `${ext}/1001/invitations`)));
    await assertFails(
      getDocs(query(collectionGroup(carol, 'invitations'), where('uid', '==', DAVE))),
    );
    await assertFails(getDoc(doc(app(rulesEnv(), null), `${ext}/1001/invitations/${CAROL}`)));
    // Accepting is the server's to write: no invitation or membership through the SDK.
    await assertFails(deleteDoc(doc(carol, `${ext}/1001/invitations/${CAROL}`)));
    await assertFails(setDoc(doc(carol, `${ext}/2002/invitations/${CAROL}`), invitation(CAROL)));
    await assertFails(
      setDoc(doc(carol, `${ext}/1001/members/${CAROL}`), {
        uid: CAROL,
        tenant: scene.tenant,
        extension: '1001',
        via: 'invitation',
        createdAt: Date.now(),
      }),
    );
  });

  it('lets no user make, change or drop a membership, its own included', async () => {
    const scene = await seedScene(rulesEnv());
    const ext = `tenants/${scene.tenant}/extensions`;
    const member = { uid: CAROL, tenant: scene.tenant, extension: '1001', createdAt: Date.now() };
    await assertFails(
      setDoc(doc(app(rulesEnv(), CAROL), `${ext}/1001/members/${CAROL}`), {
        ...member,
        via: 'pairing',
      }),
    );
    await assertFails(
      updateDoc(doc(app(rulesEnv(), ALICE), `${ext}/1001/members/${ALICE}`), { via: 'api' }),
    );
    await assertFails(deleteDoc(doc(app(rulesEnv(), ALICE), `${ext}/1001/members/${ALICE}`)));
    await assertFails(deleteDoc(doc(app(rulesEnv(), ALICE), `${ext}/1001/members/${BOB}`)));
    await assertFails(setDoc(doc(app(rulesEnv(), ALICE), `${ext}/1001`), { name: '1001' }));
  });
});
