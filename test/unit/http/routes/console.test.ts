import assert from 'node:assert/strict';
import { handle } from '../../../../functions/http/router';
import type { ApiResponse } from '../../../../functions/http/types';
import { apiRequest, fakeApiContext, signIn, type FakeApiContext } from '../../../support/fakes';

describe('console and metrics routes through the router', () => {
  let ctx: FakeApiContext;
  let admin: string;
  let viewer: string;
  let outsider: string;

  beforeEach(() => {
    ctx = fakeApiContext({ 'k-acme': 'acme', 'k-globex': 'globex' });
    ctx.operations.grant('u-admin', 'acme', 'admin').grant('u-viewer', 'acme', 'viewer');
    ctx.operations.grant('u-out', 'globex', 'admin');
    admin = signIn(ctx, 'u-admin');
    viewer = signIn(ctx, 'u-viewer');
    outsider = signIn(ctx, 'u-out');
  });

  /** The raw text of an answer (the exposition); fails when there is none. */
  function textOf(reply: ApiResponse): string {
    assert.ok(reply.raw, JSON.stringify(reply.body));
    return reply.raw.text;
  }

  const as = (token: string, method: string, path: string) =>
    handle(apiRequest(method, path, { headers: { Authorization: `Bearer ${token}` } }), ctx);

  it("lists the operator's tenants with its role", async () => {
    const me = await as(viewer, 'GET', '/v1/console/me');
    assert.deepEqual(me.body, { uid: 'u-viewer', tenants: [{ tenant: 'acme', role: 'viewer' }] });
  });

  it('lets a viewer read, and refuses it every change', async () => {
    assert.equal((await as(viewer, 'GET', '/v1/console/tenants/acme/devices')).status, 200);
    assert.equal((await as(viewer, 'GET', '/v1/console/tenants/acme/metrics')).status, 200);
    for (const [method, path] of [
      ['GET', '/v1/console/tenants/acme/keys'],
      ['POST', '/v1/console/tenants/acme/keys'],
      ['POST', '/v1/console/tenants/acme/keys/000000000001/revoke'],
      ['POST', '/v1/console/tenants/acme/devices/pixel/test-ring'],
      ['POST', '/v1/console/tenants/acme/extensions/100/pairing-codes'],
    ] as const) {
      const reply = await as(viewer, method, path);
      assert.equal(reply.status, 403, `${method} ${path}`);
      assert.match(reply.body.message as string, /needs the admin role/);
    }
    assert.deepEqual(await ctx.operations.listKeys('acme'), [], 'no key was made');
  });

  it('refuses an operator of another tenant, even an admin, and anyone signed out', async () => {
    for (const path of ['/v1/console/tenants/acme/devices', '/v1/console/tenants/acme/keys']) {
      const reply = await as(outsider, 'GET', path);
      assert.equal(reply.status, 403);
      assert.match(reply.body.message as string, /not an operator of tenant acme/);
    }
    assert.equal((await handle(apiRequest('GET', '/v1/console/me'), ctx)).status, 401);
    assert.equal((await as('k-acme', 'GET', '/v1/console/tenants/acme/devices')).status, 401);
  });

  it('lets an admin make a key, shown in that answer only, and revoke it once', async () => {
    const made = await as(admin, 'POST', '/v1/console/tenants/acme/keys');
    assert.equal(made.status, 201);
    const keyId = made.body.key_id as string;
    const listed = await as(admin, 'GET', '/v1/console/tenants/acme/keys');
    assert.ok(!JSON.stringify(listed.body).includes(made.body.key as string));
    const revoked = await as(admin, 'POST', `/v1/console/tenants/acme/keys/${keyId}/revoke`);
    assert.deepEqual(revoked.body, {
      tenant: 'acme',
      key_id: keyId,
      status: 'revoked',
      already_revoked: false,
    });
    const again = await as(admin, 'POST', `/v1/console/tenants/acme/keys/${keyId}/revoke`);
    assert.equal(again.body.already_revoked, true);
    assert.equal(
      (await as(admin, 'POST', '/v1/console/tenants/acme/keys/not-a-key-id/revoke')).status,
      400,
    );
  });

  it('serves the exposition as text with the tenant key, every tenant with a scrape key', async () => {
    ctx.operations.counters.set('acme', { 'calls|accepted': 2 });
    ctx.operations.counters.set('globex', { 'calls|missed': 1 });
    const own = await handle(
      apiRequest('GET', '/v1/metrics', { headers: { 'X-Api-Key': 'k-acme' } }),
      ctx,
    );
    assert.equal(own.raw?.contentType, 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(textOf(own), /^callwake_calls_total\{outcome="accepted"\} 2$/m);
    assert.doesNotMatch(textOf(own), /globex|tenant=/);
    ctx.operations.scrapeKeys.add('k-scrape');
    const all = await handle(
      apiRequest('GET', '/v1/metrics', { headers: { Authorization: 'Bearer k-scrape' } }),
      ctx,
    );
    assert.match(textOf(all), /^callwake_calls_total\{tenant="globex",outcome="missed"\} 1$/m);
    assert.equal((await handle(apiRequest('GET', '/v1/metrics'), ctx)).status, 401);
    const wrong = await handle(
      apiRequest('GET', '/v1/metrics', { headers: { 'X-Api-Key': 'nope' } }),
      ctx,
    );
    assert.equal(wrong.status, 401);
    // A scrape key is no PBX key.
    const pbx = await handle(
      apiRequest('GET', '/v1/extensions/100/devices', { headers: { 'X-Api-Key': 'k-scrape' } }),
      ctx,
    );
    assert.equal(pbx.status, 401);
  });
});
