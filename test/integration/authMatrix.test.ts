import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ROUTE_LIST } from '../../functions/http/router';
import { signInApp, type TestApp } from '../support/app';
import { createTenant, db, PROJECT_ID, type TestTenant } from '../support/emulator';
import { api } from '../support/http';
import { callId, fcmToken } from '../support/ids';
import { SUITE_TIMEOUT_MS } from '../support/wait';

/** An ID token the Auth emulator would have issued, but expired an hour ago. */
function expiredIdToken(uid: string): string {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({
    iss: `https://securetoken.google.com/${PROJECT_ID}`,
    aud: PROJECT_ID,
    sub: uid,
    user_id: uid,
    auth_time: now - 7200,
    iat: now - 7200,
    exp: now - 3600,
    firebase: { sign_in_provider: 'password', identities: {} },
  })}.`;
}

describe('auth matrix: every route refuses every wrong credential (emulator)', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  let owner: TestTenant;
  let other: TestTenant;
  let outsider: TestApp;
  const id = callId();

  before(async () => {
    owner = await createTenant('outbox');
    other = await createTenant('outbox');
    await api('PUT', '/v1/extensions/1001/devices/pixel', {
      key: owner.key,
      form: { platform: 'android', fcm_token: fcmToken() },
    });
    await api('POST', '/v1/calls', { key: owner.key, form: { call_id: id, to: '1001' } });
    // An invitation waiting for someone else: the outsider's own list must not show it.
    const invited = await api('PUT', '/v1/extensions/1001/members/someone', { key: owner.key });
    assert.equal(invited.status, 202, invited.text);
    outsider = await signInApp();
  });
  after(async () => {
    await outsider.close();
  });

  const concrete = (route: string) =>
    route
      .replace('{ext}', '1001')
      .replace('{device_id}', 'pixel')
      .replace('{call_id}', encodeURIComponent(id))
      .replace('{uid}', 'someone')
      .replace('{key_id}', '000000000000');
  const routes = ROUTE_LIST.filter((r) => r !== 'GET /v1/health').map((r) => {
    const [method = '', path = ''] = r.split(' ');
    const operator = path.startsWith('/v1/console/');
    return {
      method,
      path: concrete(path),
      pbx: !path.startsWith('/v1/app/') && !operator,
      operator,
      name: r,
    };
  });
  // Valid for every route, so only the credential decides.
  const body = {
    action: 'accept',
    device_id: 'pixel',
    code: 'AAAAA-BBBBB',
    extension: '1001',
    platform: 'android',
    fcm_token: fcmToken(),
    user: '1001',
    token: fcmToken(),
  };

  it('refuses no credential, a wrong key, a revoked key and an expired ID token with 401', async () => {
    const revoked = `cwk_test_revoked_${Date.now()}`;
    const hash = createHash('sha256').update(revoked).digest('hex');
    await db().doc(`apiKeys/${hash}`).set({ tenant: owner.id, revoked: true });
    const credentials: [string, Record<string, string>][] = [
      ['none', {}],
      ['wrong key', { Authorization: 'Bearer cwk_wrong_key_0123456789abcdef' }],
      ['revoked key', { 'X-Api-Key': revoked }],
      ['expired ID token', { Authorization: `Bearer ${expiredIdToken(outsider.uid)}` }],
      ['garbage', { Authorization: 'Basic !!!' }],
    ];
    for (const { method, path, name } of routes) {
      for (const [label, headers] of credentials) {
        const reply = await api(method, path.replace('{tenant}', owner.id), {
          headers,
          ...(method === 'GET' ? {} : { form: body }),
        });
        assert.equal(reply.status, 401, `${name} with ${label}: ${reply.text}`);
        assert.equal(reply.fields.error, 'unauthenticated');
        assert.ok(!reply.text.includes(revoked), 'the key is not echoed');
      }
    }
  });

  it("gives another tenant's key nothing of this tenant's data", async () => {
    const status = await api('GET', `/v1/calls/${encodeURIComponent(id)}`, { key: other.key });
    assert.equal(status.status, 404);
    const cancel = await api('POST', `/v1/calls/${encodeURIComponent(id)}/cancel`, {
      key: other.key,
    });
    assert.equal(cancel.status, 404);
    const devices = await api('GET', '/v1/extensions/1001/devices', { key: other.key });
    assert.equal(devices.fields.count, 0);
    const remove = await api('DELETE', '/v1/extensions/1001/devices/pixel', { key: other.key });
    assert.equal(remove.status, 404);
    const mine = await api('GET', `/v1/calls/${encodeURIComponent(id)}`, { key: owner.key });
    assert.equal(mine.fields.status, 'ringing', "the owner's call is untouched");
  });

  it('refuses app routes to a signed-in user who is not a member, and PBX routes to ID tokens', async () => {
    const headers = { Authorization: `Bearer ${await outsider.idToken()}` };
    // The owner's tenant too: the pairing route takes `extension` only together with `tenant`.
    const named = { ...body, tenant: owner.id };
    for (const { method, path, pbx, operator, name } of routes) {
      const reply = await api(method, path.replace('{tenant}', owner.id), {
        headers,
        ...(method === 'GET' ? {} : { form: named }),
      });
      const seedRoute = path.startsWith('/api/');
      if (name === 'GET /v1/app/invitations') {
        // Any signed-in user's own invitations, in every tenant: none for the outsider, and
        // nobody else's.
        assert.equal(reply.status, 200, `${name}: ${reply.text}`);
        assert.deepEqual(reply.fields, { count: 0, invitations: [] });
      } else if (operator) {
        // A signed-in user who is no operator: its own (empty) list of tenants, 403 elsewhere.
        const me = path === '/v1/console/me';
        assert.equal(reply.status, me ? 200 : 403, `${name}: ${reply.text}`);
        if (me) assert.deepEqual(reply.fields.tenants, []);
      } else if (pbx && !seedRoute) {
        assert.equal(reply.status, 401, `${name}: an ID token is no API key`);
      } else {
        assert.ok([403, 404].includes(reply.status), `${name}: ${reply.status} ${reply.text}`);
        assert.ok(!/"status":"(ringing|accepted)"/.test(reply.text), `${name} leaks no call state`);
      }
    }
    const call = await api('GET', `/v1/calls/${encodeURIComponent(id)}`, { key: owner.key });
    assert.equal(call.fields.status, 'ringing', 'nothing the outsider sent changed the call');
  });
});
