import assert from 'node:assert/strict';
import { deleteApp, initializeApp } from 'firebase/app';
import { connectAuthEmulator, getAuth, signInWithEmailAndPassword } from 'firebase/auth';
import {
  collection,
  connectFirestoreEmulator,
  doc,
  getDoc,
  getDocs,
  getFirestore,
  limit,
  orderBy,
  query,
  setDoc,
} from 'firebase/firestore';
import { randomBytes } from 'node:crypto';
import { createTenant, PROJECT_ID, type TestTenant } from '../support/emulator';
import { memberApp, type TestApp } from '../support/app';
import { api } from '../support/http';
import { callId, fcmToken } from '../support/ids';
import { createOperator, type TestOperator } from '../support/operators';
import { startProviders, type Providers } from '../support/providers';
import { eventually } from '../support/wait';

/** An operator's browser, without the page: the JS SDK signed in with its email and password. */
async function signIn(person: TestOperator) {
  const app = initializeApp(
    { projectId: PROJECT_ID, apiKey: 'demo-api-key' },
    `c-${randomBytes(5).toString('hex')}`,
  );
  const auth = getAuth(app);
  connectAuthEmulator(auth, `http://${process.env.FIREBASE_AUTH_EMULATOR_HOST ?? ''}`, {
    disableWarnings: true,
  });
  const [host = '', port = '0'] = (process.env.FIRESTORE_EMULATOR_HOST ?? '').split(':');
  const db = getFirestore(app);
  connectFirestoreEmulator(db, host, Number(port));
  const { user } = await signInWithEmailAndPassword(auth, person.email, person.password);
  const token = await user.getIdToken();
  return {
    db,
    uid: user.uid,
    call: (method: string, path: string) =>
      api(method, path, { headers: { Authorization: `Bearer ${token}` } }),
    close: () => deleteApp(app),
  };
}
type Session = Awaited<ReturnType<typeof signIn>>;

const denied = (err: unknown) => (err as { code?: string }).code === 'permission-denied';

describe('console API and rules: operators by tenant and role (emulator)', function () {
  this.timeout(60_000);
  let fakes: Providers;
  let a: TestTenant;
  let b: TestTenant;
  let adminA: Session;
  let viewerA: Session;
  let adminB: Session;
  let member: TestApp;
  const token = fcmToken();
  let ringingId = '';

  before(async () => {
    fakes = await startProviders();
    [a, b] = await Promise.all([createTenant('live'), createTenant('live')]);
    const reply = await api('PUT', '/v1/extensions/100/devices/pixel', {
      key: a.key,
      form: { platform: 'android', fcm_token: token },
    });
    assert.equal(reply.status, 201, reply.text);
    // A member by consent (invited by the PBX, accepted by the user); a pending invitation is
    // no member.
    member = await memberApp(a, '100');
    const pending = await api(
      'PUT',
      `/v1/extensions/100/members/invitee-${randomBytes(3).toString('hex')}`,
      {
        key: a.key,
      },
    );
    assert.equal(pending.status, 202, pending.text);
    ringingId = callId();
    await api('POST', '/v1/calls', {
      key: a.key,
      form: { call_id: ringingId, to: '100', from_name: 'Alice' },
    });
    [adminA, viewerA, adminB] = await Promise.all([
      createOperator(a.id, 'admin').then(signIn),
      createOperator(a.id, 'viewer').then(signIn),
      createOperator(b.id, 'admin').then(signIn),
    ]);
  });
  after(async () => {
    await Promise.all([adminA, viewerA, adminB, member].map((s) => s.close()));
  });

  const t = (tenant: TestTenant, rest: string) => `/v1/console/tenants/${tenant.id}${rest}`;

  it('tells an operator its tenants and roles, and only its own', async () => {
    const me = await viewerA.call('GET', '/v1/console/me');
    assert.deepEqual(me.fields, { uid: viewerA.uid, tenants: [{ tenant: a.id, role: 'viewer' }] });
    const other = await adminB.call('GET', '/v1/console/me');
    assert.deepEqual(other.fields.tenants, [{ tenant: b.id, role: 'admin' }]);
  });

  it('shows a viewer the devices with masked tokens, never the token', async () => {
    const reply = await viewerA.call('GET', t(a, '/devices'));
    assert.equal(reply.status, 200, reply.text);
    assert.ok(!reply.text.includes(token), 'no raw token in the answer');
    const devices = reply.fields.devices as {
      device_id: string;
      fcm_token: string;
      last_push?: { status: string };
    }[];
    const [pixel] = devices;
    assert.ok(pixel);
    assert.equal(pixel.device_id, 'pixel');
    assert.equal(pixel.fcm_token, `${token.slice(0, 4)}…${token.slice(-4)}`);
    assert.equal(pixel.last_push?.status, 'accepted');
    const members = reply.fields.members as { extension: string; uid: string }[];
    assert.deepEqual(
      members.map((m) => [m.extension, m.uid]),
      [['100', member.uid]],
    );
  });

  it('refuses a viewer every route that changes something, and changes nothing', async () => {
    const before = await adminA.call('GET', t(a, '/keys'));
    for (const [method, path] of [
      ['GET', t(a, '/keys')],
      ['POST', t(a, '/keys')],
      [
        'POST',
        t(a, `/keys/${String((before.fields.keys as { key_id: string }[])[0]?.key_id)}/revoke`),
      ],
      ['POST', t(a, '/devices/pixel/test-ring')],
      ['POST', t(a, '/extensions/100/pairing-codes')],
    ] as const) {
      const reply = await viewerA.call(method, path);
      assert.equal(reply.status, 403, `${method} ${path}: ${reply.text}`);
      assert.equal(reply.fields.error, 'permission_denied');
    }
    assert.deepEqual((await adminA.call('GET', t(a, '/keys'))).fields, before.fields);
  });

  it("refuses another tenant's operator everything of this tenant, through the API", async () => {
    for (const [method, path] of [
      ['GET', t(a, '/devices')],
      ['GET', t(a, '/metrics')],
      ['GET', t(a, '/keys')],
      ['POST', t(a, '/keys')],
      ['POST', t(a, '/devices/pixel/test-ring')],
    ] as const) {
      const reply = await adminB.call(method, path);
      assert.equal(reply.status, 403, `${method} ${path}`);
      assert.ok(!reply.text.includes('pixel') && !reply.text.includes('Alice'), reply.text);
    }
  });

  it('refuses without an ID token, and refuses a PBX key on the console routes', async () => {
    assert.equal((await api('GET', t(a, '/devices'))).status, 401);
    assert.equal((await api('GET', t(a, '/devices'), { key: a.key })).status, 401);
    assert.equal((await api('GET', '/v1/console/me', { key: a.key })).status, 401);
  });

  it('lets an admin create a key (shown once), list it by id only, and revoke it', async () => {
    const created = await adminA.call('POST', t(a, '/keys'));
    assert.equal(created.status, 201, created.text);
    const key = created.fields.key as string;
    const keyId = created.fields.key_id as string;
    assert.match(key, /^cwk_/);
    // The new key works for the PBX at once.
    assert.equal((await api('GET', '/v1/extensions/100/devices', { key })).status, 200);
    const listed = await adminA.call('GET', t(a, '/keys'));
    assert.ok(!listed.text.includes(key), 'the list never shows a key');
    assert.ok(
      (listed.fields.keys as { key_id: string; status: string }[]).some(
        (k) => k.key_id === keyId && k.status === 'active',
      ),
    );
    const revoked = await adminA.call('POST', t(a, `/keys/${keyId}/revoke`));
    assert.equal(revoked.status, 200, revoked.text);
    const after = await adminA.call('GET', t(a, '/keys'));
    assert.ok(
      (after.fields.keys as { key_id: string; status: string }[]).some(
        (k) => k.key_id === keyId && k.status === 'revoked',
      ),
    );
    assert.equal((await adminA.call('POST', t(a, '/keys/000000000000/revoke'))).status, 404);
    // Another tenant's admin cannot revoke this tenant's key by naming it under its own tenant.
    assert.equal((await adminB.call('POST', t(b, `/keys/${keyId}/revoke`))).status, 404);
  });

  it("lets an admin ring one device: the push reaches the provider and the call's timeline", async () => {
    const before = fakes.fcm.requestsFor(token).length;
    const rang = await adminA.call('POST', t(a, '/devices/pixel/test-ring'));
    assert.equal(rang.status, 201, rang.text);
    assert.equal(rang.fields.pushed, 1);
    assert.equal(fakes.fcm.requestsFor(token).length, before + 1);
    const uuid = rang.fields.call_uuid as string;
    const call = await getDoc(doc(adminA.db, `tenants/${a.id}/calls/${uuid}`));
    assert.equal(call.get('deliveries.pixel.status'), 'accepted');
    assert.equal(call.get('fromName'), 'callwake test call');
  });

  it("rules: an operator reads its tenant's calls and its own roles; nothing else, and writes nothing", async () => {
    const calls = await getDocs(
      query(
        collection(viewerA.db, `tenants/${a.id}/calls`),
        orderBy('createdAt', 'desc'),
        limit(10),
      ),
    );
    assert.ok(calls.docs.some((d) => d.get('callId') === ringingId));
    await eventually(
      async () => (await getDoc(doc(viewerA.db, `operators/${viewerA.uid}`))).exists(),
      'own operator doc',
    );
    await assert.rejects(getDocs(collection(adminB.db, `tenants/${a.id}/calls`)), denied);
    await assert.rejects(
      getDoc(doc(adminB.db, `tenants/${a.id}/calls/${calls.docs[0]?.id ?? 'x'}`)),
      denied,
    );
    await assert.rejects(getDoc(doc(adminB.db, `operators/${viewerA.uid}`)), denied);
    await assert.rejects(getDocs(collection(adminA.db, 'operators')), denied);
    await assert.rejects(getDocs(collection(adminA.db, `tenants/${a.id}/devices`)), denied);
    await assert.rejects(getDocs(collection(adminA.db, `tenants/${a.id}/metricShards`)), denied);
    await assert.rejects(getDocs(collection(adminA.db, 'apiKeys')), denied);
    // No operator can promote itself or write a call.
    await assert.rejects(
      setDoc(doc(viewerA.db, `operators/${viewerA.uid}`), { tenants: { [a.id]: 'admin' } }),
      denied,
    );
    await assert.rejects(
      setDoc(
        doc(adminA.db, `tenants/${a.id}/calls/${calls.docs[0]?.id ?? 'x'}`),
        { status: 'accepted' },
        { merge: true },
      ),
      denied,
    );
  });
});
