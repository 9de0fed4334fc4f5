import assert from 'node:assert/strict';
import { INVITATION_TTL_MS } from '../../../../functions/core/limits';
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

  /** The user answers the invitation, as its app does. */
  const answerAs = (
    uid: string,
    action: 'accept' | 'decline',
    tenant = 'acme',
    extension = '100',
  ) =>
    handle(
      apiRequest('POST', `/v1/app/invitations/${action}`, {
        headers: {
          Authorization: `Bearer ${signIn(ctx, uid)}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: `tenant=${tenant}&extension=${extension}`,
      }),
      ctx,
    );

  it('PUT invites the user (202): a member only once the user accepts, then 200 for the member', async () => {
    assert.deepEqual(await call('PUT', '/v1/extensions/100/members/uid-alice'), {
      status: 202,
      body: { status: 'invited', extension: '100', uid: 'uid-alice' },
    });
    assert.equal(await ctx.members.isMember('acme', '100', 'uid-alice'), false);
    assert.equal((await call('PUT', '/v1/extensions/100/members/uid-alice')).status, 202);
    assert.deepEqual(await answerAs('uid-alice', 'accept'), {
      status: 200,
      body: { status: 'member', tenant: 'acme', extension: '100', uid: 'uid-alice' },
    });
    assert.equal(await ctx.members.isMember('acme', '100', 'uid-alice'), true);
    assert.deepEqual(await call('PUT', '/v1/extensions/100/members/uid-alice'), {
      status: 200,
      body: { status: 'exists', extension: '100', uid: 'uid-alice' },
    });
  });

  it('an invitation is for its user, tenant and extension only; declined, it is gone', async () => {
    await call('PUT', '/v1/extensions/100/members/uid-alice');
    assert.equal((await answerAs('uid-mallory', 'accept')).status, 404, 'not for another user');
    assert.equal((await answerAs('uid-alice', 'accept', 'globex')).status, 404);
    assert.equal((await answerAs('uid-alice', 'accept', 'acme', '200')).status, 404);
    assert.equal((await answerAs('uid-alice', 'decline')).status, 200);
    assert.equal((await answerAs('uid-alice', 'accept')).status, 404, 'declined is gone');
    assert.deepEqual(await ctx.members.membershipsOf('uid-alice'), []);
    assert.deepEqual(await ctx.members.membershipsOf('uid-mallory'), []);
  });

  it('GET /v1/app/invitations lists what waits for the user, in every tenant, until it expires', async () => {
    await call('PUT', '/v1/extensions/100/members/uid-alice');
    await call('PUT', '/v1/extensions/100/members/uid-alice', { 'X-Api-Key': 'k-globex' });
    await call('PUT', '/v1/extensions/200/members/uid-bob');
    const list = () =>
      handle(
        apiRequest('GET', '/v1/app/invitations', {
          headers: { Authorization: `Bearer ${signIn(ctx, 'uid-alice')}` },
        }),
        ctx,
      );
    const listed = await list();
    assert.equal(listed.body.count, 2);
    assert.deepEqual(
      (listed.body.invitations as { tenant: string }[]).map((i) => i.tenant).sort(),
      ['acme', 'globex'],
    );
    ctx.clock.current += INVITATION_TTL_MS;
    assert.equal((await list()).body.count, 0);
    assert.equal((await answerAs('uid-alice', 'accept')).status, 404, 'expired');
  });

  it('caps the invitations an extension keeps waiting (409 limit_exceeded)', async () => {
    ctx.tenants.set('acme', { id: 'acme', limits: { pending_invitations_per_extension: 2 } });
    assert.equal((await call('PUT', '/v1/extensions/100/members/uid-a')).status, 202);
    assert.equal((await call('PUT', '/v1/extensions/100/members/uid-b')).status, 202);
    const third = await call('PUT', '/v1/extensions/100/members/uid-c');
    assert.equal(third.status, 409);
    assert.equal(third.body.error, 'limit_exceeded');
    assert.equal(third.body.limit, 'pending_invitations_per_extension');
    assert.equal((await call('PUT', '/v1/extensions/200/members/uid-c')).status, 202);
    assert.equal((await call('DELETE', '/v1/extensions/100/members/uid-a')).status, 200);
    assert.equal((await call('PUT', '/v1/extensions/100/members/uid-c')).status, 202);
  });

  it("PUT invites to the key's tenant and that extension only", async () => {
    await call('PUT', '/v1/extensions/100/members/uid-alice');
    await answerAs('uid-alice', 'accept');
    assert.deepEqual(await ctx.members.membershipsOf('uid-alice'), [
      { tenant: 'acme', extension: '100' },
    ]);
    const other = await call('PUT', '/v1/extensions/100/members/uid-alice', {
      'X-Api-Key': 'k-globex',
    });
    assert.equal(other.status, 202, "another tenant's extension 100 is another extension");
  });

  it('DELETE removes a member (or withdraws an invitation) with 200, then answers 404', async () => {
    await call('PUT', '/v1/extensions/100/members/uid-alice');
    await answerAs('uid-alice', 'accept');
    assert.deepEqual(await call('DELETE', '/v1/extensions/100/members/uid-alice'), {
      status: 200,
      body: { status: 'deleted', extension: '100', uid: 'uid-alice' },
    });
    assert.equal(await ctx.members.isMember('acme', '100', 'uid-alice'), false);
    assert.deepEqual(await call('DELETE', '/v1/extensions/100/members/uid-alice'), {
      status: 404,
      body: {
        error: 'not_found',
        message: 'uid-alice is neither a member of extension 100 nor invited.',
      },
    });
    await call('PUT', '/v1/extensions/100/members/uid-bob');
    assert.equal((await call('DELETE', '/v1/extensions/100/members/uid-bob')).status, 200);
    assert.equal((await answerAs('uid-bob', 'accept')).status, 404, 'withdrawn');
  });

  it('DELETE also removes the devices the user registered on that extension, and only those', async () => {
    await ctx.members.add('acme', '100', 'uid-alice', 'invitation');
    await ctx.members.add('acme', '200', 'uid-alice', 'invitation');
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
    await ctx.members.add('acme', '100', 'uid-alice', 'invitation');
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
    assert.equal(ctx.members.invitations.size, 0);
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
