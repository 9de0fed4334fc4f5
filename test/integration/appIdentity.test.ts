import assert from 'node:assert/strict';
import { makeMember, signInApp, type TestApp } from '../support/app';
import { createTenant, db, type TestTenant } from '../support/emulator';
import { api } from '../support/http';
import { fcmToken } from '../support/ids';
import { SUITE_TIMEOUT_MS } from '../support/wait';

describe('app identity: members, pairing, app and seed registration (emulator, Auth emulator)', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  let tenant: TestTenant;
  const apps: TestApp[] = [];

  beforeEach(async () => {
    tenant = await createTenant('outbox');
  });
  after(async () => {
    await Promise.all(apps.map((a) => a.close()));
  });

  async function user(): Promise<{ app: TestApp; auth: Record<string, string> }> {
    const app = await signInApp();
    apps.push(app);
    return { app, auth: { Authorization: `Bearer ${await app.idToken()}` } };
  }

  it('pairs an app by a one-time code, and rate-limits guessing', async () => {
    const { app, auth } = await user();
    const issued = await api('POST', '/v1/extensions/1001/pairing-codes', { key: tenant.key });
    assert.equal(issued.status, 201, issued.text);
    const code = issued.fields.code as string;
    assert.match(code, /^[A-Z2-9]{5}-[A-Z2-9]{5}$/);
    assert.match(issued.fields.pair_uri as string, new RegExp(`^callwake://pair\\?code=${code}&`));
    const expires = Date.parse(issued.fields.expires_at as string) - Date.now();
    assert.ok(expires > 9 * 60_000 && expires <= 10 * 60_000);

    // Not a member yet: the app cannot register for the extension.
    const early = await api('PUT', '/v1/app/devices/pixel', {
      headers: auth,
      form: { extension: '1001', platform: 'android', fcm_token: fcmToken() },
    });
    assert.equal(early.status, 403, early.text);

    const paired = await api('POST', '/v1/app/pair', {
      headers: auth,
      form: { code: code.toLowerCase() },
    });
    assert.equal(paired.status, 200, paired.text);
    assert.deepEqual(paired.fields, {
      status: 'paired',
      tenant: tenant.id,
      extension: '1001',
      uid: app.uid,
    });
    const member = await db().doc(`tenants/${tenant.id}/extensions/1001/members/${app.uid}`).get();
    assert.equal(member.get('via'), 'pairing');
    const registered = await api('PUT', '/v1/app/devices/pixel', {
      headers: auth,
      form: { extension: '1001', platform: 'android', fcm_token: fcmToken() },
    });
    assert.equal(registered.status, 201, registered.text);
    assert.equal(
      (await db().doc(`tenants/${tenant.id}/devices/pixel`).get()).get('ownerUid'),
      app.uid,
    );

    // Single use, even for the same user.
    const reused = await api('POST', '/v1/app/pair', { headers: auth, form: { code } });
    assert.equal(reused.status, 404);
    assert.match(reused.fields.message as string, /already used/);

    // Guessing: a few wrong codes, then 429 even for a right one.
    const { auth: guesser } = await user();
    const fresh = (await api('POST', '/v1/extensions/1001/pairing-codes', { key: tenant.key }))
      .fields.code as string;
    for (let i = 0; i < 5; i += 1) {
      const wrong = await api('POST', '/v1/app/pair', {
        headers: guesser,
        form: { code: `WRONG-CODE${i}` },
      });
      assert.equal(wrong.status, 404);
    }
    const blocked = await api('POST', '/v1/app/pair', { headers: guesser, form: { code: fresh } });
    assert.equal(blocked.status, 429);
    assert.equal(blocked.fields.error, 'rate_limited');
  });

  it('refuses an expired pairing code', async () => {
    const { auth } = await user();
    const code = (await api('POST', '/v1/extensions/1001/pairing-codes', { key: tenant.key }))
      .fields.code as string;
    const docs = await db().collection('pairingCodes').where('tenant', '==', tenant.id).get();
    await docs.docs[0]!.ref.update({ expiresAt: Date.now() - 1 });
    const late = await api('POST', '/v1/app/pair', { headers: auth, form: { code } });
    assert.equal(late.status, 404);
    assert.match(late.fields.message as string, /expired/);
  });

  it('binds and unbinds members from the PBX side', async () => {
    const { app, auth } = await user();
    const invited = await api('PUT', `/v1/extensions/2002/members/${app.uid}`, {
      key: tenant.key,
    });
    assert.equal(invited.status, 202, 'an invitation: no member yet');
    const early = await api('PUT', '/v1/app/devices/tab', {
      headers: auth,
      form: { extension: '2002', platform: 'android', fcm_token: fcmToken() },
    });
    assert.equal(early.status, 403, 'not a member before accepting');
    const accepted = await api('POST', '/v1/app/invitations/accept', {
      headers: auth,
      form: { tenant: tenant.id, extension: '2002' },
    });
    assert.equal(accepted.status, 200, accepted.text);
    const ok = await api('PUT', '/v1/app/devices/tab', {
      headers: auth,
      form: { extension: '2002', platform: 'android', fcm_token: fcmToken() },
    });
    assert.equal(ok.status, 201, ok.text);
    const removed = await api('DELETE', `/v1/extensions/2002/members/${app.uid}`, {
      key: tenant.key,
    });
    assert.equal(removed.status, 200);
    const refused = await api('PUT', '/v1/app/devices/tab', {
      headers: auth,
      form: { extension: '2002', platform: 'android', fcm_token: fcmToken() },
    });
    assert.equal(refused.status, 403);
    const unsigned = await api('PUT', '/v1/app/devices/tab', {
      key: tenant.key,
      form: { extension: '2002', platform: 'android', fcm_token: fcmToken() },
    });
    assert.equal(unsigned.status, 401, 'app routes need an ID token, not an API key');
  });

  it("keeps the seed guides' registration calls working, with an API key or an ID token", async () => {
    const token = fcmToken();
    const byPbx = await api('POST', '/api/register-push-token', {
      key: tenant.key,
      json: { user: '564612', token, platform: 'ios' },
    });
    assert.equal(byPbx.status, 201, byPbx.text);
    assert.equal(byPbx.fields.success, true);
    const listed = await api('GET', '/v1/extensions/564612/devices', { key: tenant.key });
    assert.equal(listed.fields.count, 1);

    const { app, auth } = await user();
    await makeMember(tenant, '1001', app);
    const appToken = fcmToken();
    const byApp = await api('POST', '/api/register-fcm-token', {
      headers: auth,
      json: { extension: '1001', fcm_token: appToken, platform: 'android' },
    });
    assert.equal(byApp.status, 201, byApp.text);
    const notMine = await api('POST', '/api/register-fcm-token', {
      headers: auth,
      json: { extension: '9999', fcm_token: fcmToken(), platform: 'android' },
    });
    assert.equal(notMine.status, 403);
    const gone = await api('POST', '/api/unregister-fcm-token', {
      headers: auth,
      json: { extension: '1001', fcm_token: appToken },
    });
    assert.deepEqual([gone.status, gone.fields.success], [200, true]);
    assert.equal(
      (await api('GET', '/v1/extensions/1001/devices', { key: tenant.key })).fields.count,
      0,
    );
    const anonymous = await api('POST', '/api/register-fcm-token', {
      json: { extension: '1001', fcm_token: fcmToken(), platform: 'android' },
    });
    assert.equal(anonymous.status, 401);
  });
});
