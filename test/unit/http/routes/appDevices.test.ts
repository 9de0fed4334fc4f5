import assert from 'node:assert/strict';
import { handle } from '../../../../functions/http/router';
import { apiRequest, signIn, type FakeApiContext } from '../../../support/fakes';
import { aliceAndBobOn100 } from '../appUsers';

const KEY = 'k-acme';
const ALICE_TOKEN = 'fcm-alice-' + 'a'.repeat(40) + '-tail';
const BOB_TOKEN = 'fcm-bob-' + 'b'.repeat(40);
const JSON_TYPE = { 'Content-Type': 'application/json' };

describe('app device routes through the router', () => {
  let ctx: FakeApiContext;
  let alice: string;
  let bob: string;

  beforeEach(async () => {
    ({ ctx, alice, bob } = await aliceAndBobOn100(KEY));
  });

  const put = (token: string, deviceId: string, body: Record<string, unknown>) =>
    handle(
      apiRequest('PUT', `/v1/app/devices/${deviceId}`, {
        headers: { Authorization: `Bearer ${token}`, ...JSON_TYPE },
        body: JSON.stringify(body),
      }),
      ctx,
    );

  const del = (token: string, deviceId: string, query?: string) =>
    handle(
      apiRequest('DELETE', `/v1/app/devices/${deviceId}`, {
        headers: { Authorization: `Bearer ${token}` },
        ...(query === undefined ? {} : { query }),
      }),
      ctx,
    );

  const android = (fcmToken = ALICE_TOKEN) => ({
    extension: '100',
    platform: 'android',
    fcm_token: fcmToken,
  });

  describe('PUT /v1/app/devices/{device_id}', () => {
    it("registers a member's device with 201, owned by the user, then refreshes it with 200", async () => {
      const res = await put(alice, 'pixel-8', android());
      assert.deepEqual(res, {
        status: 201,
        body: {
          status: 'created',
          tenant: 'acme',
          device_id: 'pixel-8',
          extension: '100',
          platform: 'android',
          fcm_token: 'fcm-…tail',
          last_seen_at: new Date(ctx.clock.now()).toISOString(),
        },
      });
      assert.deepEqual(ctx.devices.peek('acme', 'pixel-8'), {
        deviceId: 'pixel-8',
        extension: '100',
        platform: 'android',
        fcmToken: ALICE_TOKEN,
        apnsEnv: 'production',
        lastSeenAt: ctx.clock.now(),
        ownerUid: 'uid-alice',
      });

      ctx.clock.current += 60_000;
      const again = await put(alice, 'pixel-8', android());
      assert.equal(again.status, 200);
      assert.equal(again.body.status, 'updated');
      assert.equal(ctx.devices.peek('acme', 'pixel-8')?.lastSeenAt, ctx.clock.now());
    });

    it('answers 401 to an API key or no credential', async () => {
      const credentials: Record<string, string>[] = [
        { Authorization: `Bearer ${KEY}` },
        { 'X-Api-Key': KEY },
        {},
      ];
      for (const headers of credentials) {
        const res = await handle(
          apiRequest('PUT', '/v1/app/devices/pixel-8', {
            headers: { ...headers, ...JSON_TYPE },
            body: JSON.stringify(android()),
          }),
          ctx,
        );
        assert.equal(res.status, 401, JSON.stringify(headers));
        assert.equal(res.body.error, 'unauthenticated');
      }
      assert.equal(ctx.devices.peek('acme', 'pixel-8'), undefined);
    });

    it('answers 403 to a user who is not a member of the extension', async () => {
      const mallory = signIn(ctx, 'uid-mallory');
      assert.deepEqual(await put(mallory, 'pixel-8', android()), {
        status: 403,
        body: { error: 'permission_denied', message: 'You are not a member of extension 100.' },
      });
      const otherExtension = await put(alice, 'pixel-8', { ...android(), extension: '200' });
      assert.equal(otherExtension.status, 403);
      const otherTenant = await put(alice, 'pixel-8', { ...android(), tenant: 'globex' });
      assert.equal(otherTenant.status, 403);
      assert.equal(ctx.devices.peek('acme', 'pixel-8'), undefined);
      assert.equal(ctx.devices.peek('globex', 'pixel-8'), undefined);
    });

    it("answers 403 to a device id another user registered, and keeps that user's device", async () => {
      await put(alice, 'pixel-8', android());
      const res = await put(bob, 'pixel-8', android(BOB_TOKEN));
      assert.equal(res.status, 403);
      assert.equal(res.body.error, 'permission_denied');
      const device = ctx.devices.peek('acme', 'pixel-8');
      assert.equal(device?.ownerUid, 'uid-alice');
      assert.equal(device.fcmToken, ALICE_TOKEN);
    });

    it('answers 403 to a member for a device the PBX registered, on any extension', async () => {
      await ctx.members.add('acme', '200', 'uid-carol', 'pairing');
      const pbxPhone = {
        deviceId: 'desk-200',
        extension: '200',
        platform: 'android' as const,
        fcmToken: BOB_TOKEN,
        apnsEnv: 'production' as const,
        lastSeenAt: 0,
      };
      ctx.devices.put('acme', pbxPhone);
      // Alice (of 100) tries to move it to her extension; Carol (of 200) to claim it in place.
      const moved = await put(alice, 'desk-200', android());
      assert.equal(moved.status, 403, JSON.stringify(moved.body));
      const carol = signIn(ctx, 'uid-carol');
      const claimed = await put(carol, 'desk-200', { ...android(), extension: '200' });
      assert.equal(claimed.status, 403);
      assert.deepEqual(ctx.devices.peek('acme', 'desk-200'), pbxPhone);
    });

    it('answers 403 to moving its own device to, or keeping it on, an extension it is not a member of', async () => {
      await ctx.members.add('acme', '200', 'uid-alice', 'pairing');
      await put(alice, 'pixel-8', { ...android(), extension: '200' });
      await ctx.members.remove('acme', '200', 'uid-alice');
      assert.equal(ctx.devices.peek('acme', 'pixel-8'), undefined, 'gone with the membership');
      // The same, had the device outlived the membership (data from before that rule).
      ctx.devices.put('acme', {
        deviceId: 'old-phone',
        extension: '300',
        platform: 'android',
        fcmToken: BOB_TOKEN,
        apnsEnv: 'production',
        lastSeenAt: 0,
        ownerUid: 'uid-alice',
      });
      const res = await put(alice, 'old-phone', android());
      assert.deepEqual(res, {
        status: 403,
        body: { error: 'permission_denied', message: 'You are not a member of extension 300.' },
      });
      assert.equal((await del(alice, 'old-phone')).status, 403);
      assert.equal(ctx.devices.peek('acme', 'old-phone')?.extension, '300');
    });

    it('uses the tenant named when the extension exists in several tenants', async () => {
      await ctx.members.add('globex', '100', 'uid-alice', 'pairing');
      const ambiguous = await put(alice, 'pixel-8', android());
      assert.equal(ambiguous.status, 400);
      assert.deepEqual(ambiguous.body.details, {
        tenant: 'is required (extension 100 exists in several tenants)',
      });
      assert.equal(
        ambiguous.body.message,
        'tenant: is required (extension 100 exists in several tenants)',
      );
      const named = await put(alice, 'pixel-8', { ...android(), tenant: 'globex' });
      assert.equal(named.status, 201);
      assert.equal(named.body.tenant, 'globex');
      assert.equal(ctx.devices.peek('globex', 'pixel-8')?.ownerUid, 'uid-alice');
      assert.equal(ctx.devices.peek('acme', 'pixel-8'), undefined);
    });

    it('answers 400 for an invalid registration or device id', async () => {
      const noToken = await put(alice, 'pixel-8', { extension: '100', platform: 'android' });
      assert.equal(noToken.status, 400);
      assert.deepEqual(noToken.body.details, { fcm_token: 'fcm_token or hms_token is required' });
      const noExtension = await put(alice, 'pixel-8', { platform: 'android', fcm_token: 'x' });
      assert.equal(noExtension.status, 400);
      assert.deepEqual(noExtension.body.details, { extension: 'is required' });
      const badId = await put(alice, 'a%20b', android());
      assert.equal(badId.status, 400);
      assert.equal(ctx.devices.peek('acme', 'pixel-8'), undefined);
    });
  });

  describe('DELETE /v1/app/devices/{device_id}', () => {
    it("deletes the user's own device with 200", async () => {
      await put(alice, 'pixel-8', android());
      assert.deepEqual(await del(alice, 'pixel-8'), {
        status: 200,
        body: { status: 'deleted', device_id: 'pixel-8' },
      });
      assert.equal(ctx.devices.peek('acme', 'pixel-8'), undefined);
      assert.equal((await del(alice, 'pixel-8')).status, 404);
    });

    it("answers 404 for someone else's device and keeps it", async () => {
      await put(alice, 'pixel-8', android());
      assert.deepEqual(await del(bob, 'pixel-8'), {
        status: 404,
        body: { error: 'not_found', message: 'You have no device pixel-8.' },
      });
      assert.ok(ctx.devices.peek('acme', 'pixel-8'));
    });

    it('answers 404 for a device the PBX registered (it has no owner)', async () => {
      ctx.devices.put('acme', {
        deviceId: 'desk-phone',
        extension: '100',
        platform: 'android',
        fcmToken: BOB_TOKEN,
        apnsEnv: 'production',
        lastSeenAt: 0,
      });
      assert.equal((await del(alice, 'desk-phone')).status, 404);
      assert.ok(ctx.devices.peek('acme', 'desk-phone'));
    });

    it('finds the device in the tenant named in the query', async () => {
      await ctx.members.add('globex', '100', 'uid-alice', 'pairing');
      await put(alice, 'pixel-8', { ...android(), tenant: 'globex' });
      assert.equal((await del(alice, 'pixel-8', 'tenant=acme')).status, 404);
      assert.equal((await del(alice, 'pixel-8', 'tenant=globex')).status, 200);
      assert.equal(ctx.devices.peek('globex', 'pixel-8'), undefined);
    });

    it('answers 401 to an API key', async () => {
      await put(alice, 'pixel-8', android());
      assert.equal((await del(KEY, 'pixel-8')).status, 401);
      assert.ok(ctx.devices.peek('acme', 'pixel-8'));
    });
  });
});
