import assert from 'node:assert/strict';
import { handle } from '../../../../functions/http/router';
import { apiRequest, fakeApiContext, signIn, type FakeApiContext } from '../../../support/fakes';

const KEY = 'k-acme';
const TOKEN = 'fcm-seed-' + 's'.repeat(60);
const OTHER_TOKEN = 'fcm-other-' + 'o'.repeat(60);
const JSON_TYPE = { 'Content-Type': 'application/json' };
const SEED_ID = /^seed-[0-9a-f]{24}$/;

describe('seed guide routes through the router', () => {
  let ctx: FakeApiContext;
  let alice: string;

  beforeEach(async () => {
    ctx = fakeApiContext({ [KEY]: 'acme' });
    alice = signIn(ctx, 'uid-alice');
    await ctx.members.add('acme', '100', 'uid-alice', 'pairing');
  });

  const post = (path: string, credential: string | null, body: Record<string, unknown>) =>
    handle(
      apiRequest('POST', path, {
        headers: { ...(credential ? { Authorization: `Bearer ${credential}` } : {}), ...JSON_TYPE },
        body: JSON.stringify(body),
      }),
      ctx,
    );

  const extensionDevices = () => ctx.devices.listByExtension('acme', '100');

  const registrations = [
    {
      path: '/api/register-push-token',
      body: (token: string) => ({ user: '100', token, platform: 'android' }),
    },
    {
      path: '/api/register-fcm-token',
      body: (token: string) => ({ extension: '100', fcm_token: token, platform: 'android' }),
    },
  ];

  for (const { path, body } of registrations) {
    describe(`POST ${path}`, () => {
      it('registers the token with an API key: success and a seed- device', async () => {
        const res = await post(path, KEY, body(TOKEN));
        assert.equal(res.status, 201);
        assert.equal(res.body.success, true);
        assert.match(res.body.device_id as string, SEED_ID);
        const [device, ...more] = await extensionDevices();
        assert.equal(more.length, 0);
        assert.ok(device);
        assert.equal(device.deviceId, res.body.device_id);
        assert.equal(device.fcmToken, TOKEN);
        assert.equal(device.platform, 'android');
        assert.equal(device.ownerUid, undefined, 'the PBX owns no device');
      });

      it("registers the token with a member's ID token, owned by that user", async () => {
        const res = await post(path, alice, body(TOKEN));
        assert.equal(res.status, 201);
        assert.equal(res.body.success, true);
        assert.match(res.body.device_id as string, SEED_ID);
        const device = ctx.devices.peek('acme', res.body.device_id as string);
        assert.equal(device?.fcmToken, TOKEN);
        assert.equal(device.ownerUid, 'uid-alice');
      });

      it('derives the same device id from the same token: a repeat answers 200', async () => {
        const first = await post(path, KEY, body(TOKEN));
        const again = await post(path, KEY, body(TOKEN));
        assert.equal(again.status, 200);
        assert.deepEqual(again.body, first.body);
        const other = await post(path, KEY, body(OTHER_TOKEN));
        assert.notEqual(other.body.device_id, first.body.device_id);
        assert.equal((await extensionDevices()).length, 2);
      });

      it("answers 403 to a non-member's ID token and 401 without a valid credential", async () => {
        const mallory = signIn(ctx, 'uid-mallory');
        const denied = await post(path, mallory, body(TOKEN));
        assert.equal(denied.status, 403);
        assert.equal(denied.body.error, 'permission_denied');
        assert.equal((await post(path, null, body(TOKEN))).status, 401);
        assert.equal((await post(path, 'k-wrong', body(TOKEN))).status, 401);
        assert.deepEqual(await extensionDevices(), []);
      });
    });
  }

  it('register-push-token reads the platform it is given', async () => {
    const res = await post('/api/register-push-token', KEY, {
      user: '100',
      token: TOKEN,
      platform: 'ios',
    });
    assert.equal(res.status, 201);
    const device = ctx.devices.peek('acme', res.body.device_id as string);
    assert.equal(device?.platform, 'ios');
    assert.equal(device.apnsEnv, 'production');
    assert.equal(device.voipToken, undefined);
  });

  it('register-push-token forces no APNs environment: a refresh keeps the stored one', async () => {
    const first = await post('/api/register-push-token', KEY, {
      user: '100',
      token: TOKEN,
      platform: 'ios',
    });
    const id = first.body.device_id as string;
    ctx.devices.put('acme', { ...ctx.devices.peek('acme', id)!, apnsEnv: 'sandbox' });
    const again = await post('/api/register-push-token', KEY, {
      user: '100',
      token: TOKEN,
      platform: 'ios',
    });
    assert.equal(again.status, 200);
    assert.equal(ctx.devices.peek('acme', id)?.apnsEnv, 'sandbox');
  });

  it('register-fcm-token defaults the platform to android', async () => {
    const res = await post('/api/register-fcm-token', KEY, { extension: '100', fcm_token: TOKEN });
    assert.equal(res.status, 201);
    assert.equal(ctx.devices.peek('acme', res.body.device_id as string)?.platform, 'android');
  });

  it('answers 400 for a missing token', async () => {
    const res = await post('/api/register-fcm-token', KEY, { extension: '100' });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.details, { fcm_token: 'is required' });
  });

  describe('POST /api/unregister-fcm-token', () => {
    const unregister = (credential: string, token = TOKEN) =>
      post('/api/unregister-fcm-token', credential, { extension: '100', fcm_token: token });

    it('removes the device holding the token, with an API key', async () => {
      const { body } = await post('/api/register-fcm-token', KEY, {
        extension: '100',
        fcm_token: TOKEN,
      });
      assert.deepEqual(await unregister(KEY), { status: 200, body: { success: true } });
      assert.equal(ctx.devices.peek('acme', body.device_id as string), undefined);
      assert.deepEqual(await unregister(KEY), {
        status: 404,
        body: { error: 'not_found', message: 'No device of extension 100 has that token.' },
      });
    });

    it("removes the member's own device with its ID token", async () => {
      await post('/api/register-fcm-token', alice, { extension: '100', fcm_token: TOKEN });
      assert.equal((await unregister(alice)).status, 200);
      assert.deepEqual(await extensionDevices(), []);
    });

    it("answers 404 to a member for another user's device, and keeps it", async () => {
      await ctx.members.add('acme', '100', 'uid-bob', 'pairing');
      const bob = signIn(ctx, 'uid-bob');
      await post('/api/register-fcm-token', bob, { extension: '100', fcm_token: TOKEN });
      assert.equal((await unregister(alice)).status, 404);
      assert.equal((await extensionDevices()).length, 1);
    });

    it('answers 404 to a member for a device the PBX registered, and keeps it', async () => {
      await post('/api/register-fcm-token', KEY, { extension: '100', fcm_token: TOKEN });
      assert.equal((await unregister(alice)).status, 404);
      assert.equal((await extensionDevices()).length, 1);
      // Nor can the member take the PBX's seed- device over by registering the same token.
      const taken = await post('/api/register-fcm-token', alice, {
        extension: '100',
        fcm_token: TOKEN,
      });
      assert.equal(taken.status, 403);
      assert.equal((await extensionDevices())[0]?.ownerUid, undefined);
    });

    it("answers 403 to a non-member's ID token, and keeps the device", async () => {
      await post('/api/register-fcm-token', KEY, { extension: '100', fcm_token: TOKEN });
      const mallory = signIn(ctx, 'uid-mallory');
      assert.equal((await unregister(mallory)).status, 403);
      assert.equal((await extensionDevices()).length, 1);
    });

    it('answers 404 for a token no device of the extension holds', async () => {
      await post('/api/register-fcm-token', KEY, { extension: '100', fcm_token: TOKEN });
      assert.equal((await unregister(KEY, OTHER_TOKEN)).status, 404);
      assert.equal((await extensionDevices()).length, 1);
    });
  });
});
