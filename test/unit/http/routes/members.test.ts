import assert from 'node:assert/strict';
import { handle } from '../../../../functions/http/router';
import { apiRequest, fakeApiContext, signIn, type FakeApiContext } from '../../../support/fakes';

const KEY = 'k-acme';
const AUTH = { Authorization: `Bearer ${KEY}` };

describe('member routes through the router', () => {
  let ctx: FakeApiContext;

  beforeEach(() => {
    ctx = fakeApiContext({ [KEY]: 'acme', 'k-globex': 'globex' });
  });

  const call = (method: string, path: string, headers: Record<string, string> = AUTH) =>
    handle(apiRequest(method, path, { headers }), ctx);

  it('PUT makes a user a member with 201, then answers 200 for the same member', async () => {
    assert.deepEqual(await call('PUT', '/v1/extensions/100/members/uid-alice'), {
      status: 201,
      body: { status: 'created', extension: '100', uid: 'uid-alice' },
    });
    assert.equal(await ctx.members.isMember('acme', '100', 'uid-alice'), true);
    assert.deepEqual(await call('PUT', '/v1/extensions/100/members/uid-alice'), {
      status: 200,
      body: { status: 'exists', extension: '100', uid: 'uid-alice' },
    });
  });

  it("PUT adds the member to the key's tenant and that extension only", async () => {
    await call('PUT', '/v1/extensions/100/members/uid-alice');
    assert.deepEqual(await ctx.members.membershipsOf('uid-alice'), [
      { tenant: 'acme', extension: '100' },
    ]);
    const other = await call('PUT', '/v1/extensions/100/members/uid-alice', {
      'X-Api-Key': 'k-globex',
    });
    assert.equal(other.status, 201, "another tenant's extension 100 is another extension");
  });

  it('DELETE removes a member with 200, then answers 404', async () => {
    await call('PUT', '/v1/extensions/100/members/uid-alice');
    assert.deepEqual(await call('DELETE', '/v1/extensions/100/members/uid-alice'), {
      status: 200,
      body: { status: 'deleted', extension: '100', uid: 'uid-alice' },
    });
    assert.equal(await ctx.members.isMember('acme', '100', 'uid-alice'), false);
    assert.deepEqual(await call('DELETE', '/v1/extensions/100/members/uid-alice'), {
      status: 404,
      body: { error: 'not_found', message: 'uid-alice is not a member of extension 100.' },
    });
  });

  it('DELETE also removes the devices the user registered on that extension, and only those', async () => {
    await call('PUT', '/v1/extensions/100/members/uid-alice');
    await call('PUT', '/v1/extensions/200/members/uid-alice');
    const phone = (deviceId: string, extension: string, ownerUid?: string) => ({
      deviceId,
      extension,
      platform: 'android' as const,
      fcmToken: `fcm-${deviceId}`,
      apnsEnv: 'production' as const,
      lastSeenAt: 0,
      ...(ownerUid ? { ownerUid } : {}),
    });
    ctx.devices.put('acme', phone('alice-100', '100', 'uid-alice'));
    ctx.devices.put('acme', phone('alice-200', '200', 'uid-alice'));
    ctx.devices.put('acme', phone('bob-100', '100', 'uid-bob'));
    ctx.devices.put('acme', phone('desk-100', '100'));
    assert.equal((await call('DELETE', '/v1/extensions/100/members/uid-alice')).status, 200);
    assert.deepEqual(
      (await ctx.devices.listByExtension('acme', '100')).map((d) => d.deviceId).sort(),
      ['bob-100', 'desk-100'],
    );
    assert.ok(ctx.devices.peek('acme', 'alice-200'));
  });

  it('DELETE answers 404 for a member of another extension or tenant, and keeps them', async () => {
    await call('PUT', '/v1/extensions/100/members/uid-alice');
    assert.equal((await call('DELETE', '/v1/extensions/200/members/uid-alice')).status, 404);
    const other = await call('DELETE', '/v1/extensions/100/members/uid-alice', {
      'X-Api-Key': 'k-globex',
    });
    assert.equal(other.status, 404);
    assert.equal(await ctx.members.isMember('acme', '100', 'uid-alice'), true);
  });

  it('needs an API key: none, a wrong one or an ID token answer 401', async () => {
    const idToken = signIn(ctx, 'uid-alice');
    const credentials: Record<string, string>[] = [
      {},
      { 'X-Api-Key': 'k-wrong' },
      { Authorization: `Bearer ${idToken}` },
    ];
    for (const headers of credentials) {
      for (const method of ['PUT', 'DELETE']) {
        const res = await call(method, '/v1/extensions/100/members/uid-alice', headers);
        assert.equal(res.status, 401, `${method} ${JSON.stringify(headers)}`);
        assert.equal(res.body.error, 'unauthenticated');
      }
    }
    assert.deepEqual(await ctx.members.membershipsOf('uid-alice'), []);
  });

  it('answers 400 for an invalid uid or extension', async () => {
    const res = await call('PUT', '/v1/extensions/100/members/__uid__');
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.details, { uid: 'is not a valid uid' });
    const ext = await call('PUT', '/v1/extensions/a%20b/members/uid-alice');
    assert.equal(ext.status, 400);
    assert.deepEqual(Object.keys(ext.body.details as object), ['ext']);
  });

  it('answers 405 for another method', async () => {
    const res = await call('GET', '/v1/extensions/100/members/uid-alice');
    assert.equal(res.status, 405);
    assert.deepEqual(res.headers, { Allow: 'PUT, DELETE' });
  });
});
