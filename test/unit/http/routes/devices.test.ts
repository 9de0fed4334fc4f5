import assert from 'node:assert/strict';
import { handle } from '../../../../functions/http/router';
import { apiRequest, fakeApiContext, type FakeApiContext } from '../../../support/fakes';

const KEY = 'k-acme';
const FCM_TOKEN = 'fcm-token-' + 'y'.repeat(60) + '-tail';
const VOIP_TOKEN = 'ABCDEF0123456789'.repeat(4);
const AUTH = { Authorization: `Bearer ${KEY}` };
const JSON_TYPE = { 'Content-Type': 'application/json' };

function put(ctx: FakeApiContext, path: string, body: unknown) {
  return handle(
    apiRequest('PUT', path, { headers: { ...AUTH, ...JSON_TYPE }, body: JSON.stringify(body) }),
    ctx,
  );
}

describe('device routes through the router', () => {
  let ctx: FakeApiContext;

  beforeEach(() => {
    ctx = fakeApiContext({ [KEY]: 'acme' });
  });

  it('PUT registers a device with 201, then refreshes it with 200', async () => {
    const body = { platform: 'ios', voip_token: VOIP_TOKEN, app_id: 'com.example.phone' };
    const created = await put(ctx, '/v1/extensions/100/devices/iphone-15', body);
    assert.deepEqual(created, {
      status: 201,
      body: {
        status: 'created',
        device_id: 'iphone-15',
        extension: '100',
        platform: 'ios',
        app_id: 'com.example.phone',
        apns_env: 'production',
        voip_token: 'abcd…6789',
        last_seen_at: new Date(ctx.clock.now()).toISOString(),
      },
    });
    assert.equal(ctx.devices.peek('acme', 'iphone-15')?.voipToken, VOIP_TOKEN.toLowerCase());

    ctx.clock.current += 60_000;
    const updated = await put(ctx, '/v1/extensions/100/devices/iphone-15', body);
    assert.equal(updated.status, 200);
    assert.equal(updated.body.status, 'updated');
    assert.equal(updated.body.last_seen_at, new Date(ctx.clock.now()).toISOString());
  });

  it('PUT reads a form body too', async () => {
    const res = await handle(
      apiRequest('PUT', '/v1/extensions/100/devices/pixel-8', {
        headers: AUTH,
        body: `platform=android&fcm_token=${FCM_TOKEN}`,
      }),
      ctx,
    );
    assert.equal(res.status, 201);
    assert.equal(res.body.fcm_token, 'fcm-…tail');
  });

  it('PUT answers 400 for an invalid registration', async () => {
    const res = await put(ctx, '/v1/extensions/100/devices/pixel-8', {
      platform: 'android',
      voip_token: VOIP_TOKEN,
    });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.details, {
      voip_token: 'is only for ios devices',
      app_id: 'is required with voip_token (the iOS bundle id names the APNs topic)',
    });
    assert.equal(ctx.devices.peek('acme', 'pixel-8'), undefined);
  });

  it('PUT answers 400 for an invalid extension in the path', async () => {
    const res = await put(ctx, '/v1/extensions/__x__/devices/pixel-8', {
      platform: 'android',
      fcm_token: 't',
    });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.details, { ext: 'is not a valid extension' });
  });

  it('every device route answers 401 without a valid key', async () => {
    const requests = [
      apiRequest('PUT', '/v1/extensions/100/devices/d1', { body: 'platform=android&fcm_token=t' }),
      apiRequest('DELETE', '/v1/extensions/100/devices/d1'),
      apiRequest('GET', '/v1/extensions/100/devices', { headers: { 'X-Api-Key': 'k-wrong' } }),
    ];
    for (const req of requests) {
      const res = await handle(req, ctx);
      assert.equal(res.status, 401, `${req.method} ${req.path}`);
      assert.equal(res.body.error, 'unauthenticated');
    }
  });

  it('GET lists the devices of the extension sorted by id, tokens masked', async () => {
    await put(ctx, '/v1/extensions/100/devices/b-pixel', {
      platform: 'android',
      fcm_token: FCM_TOKEN,
    });
    await put(ctx, '/v1/extensions/100/devices/a-iphone', {
      platform: 'ios',
      voip_token: VOIP_TOKEN,
      app_id: 'com.example.phone',
      apns_env: 'sandbox',
    });
    await put(ctx, '/v1/extensions/200/devices/c-other', {
      platform: 'android',
      fcm_token: 'other-token-123456',
    });

    const res = await handle(
      apiRequest('GET', '/v1/extensions/100/devices', { headers: AUTH }),
      ctx,
    );
    const seen = new Date(ctx.clock.now()).toISOString();
    assert.deepEqual(res, {
      status: 200,
      body: {
        extension: '100',
        count: 2,
        devices: [
          {
            device_id: 'a-iphone',
            extension: '100',
            platform: 'ios',
            app_id: 'com.example.phone',
            apns_env: 'sandbox',
            voip_token: 'abcd…6789',
            last_seen_at: seen,
          },
          {
            device_id: 'b-pixel',
            extension: '100',
            platform: 'android',
            fcm_token: 'fcm-…tail',
            last_seen_at: seen,
          },
        ],
      },
    });
    const text = JSON.stringify(res.body);
    assert.equal(text.includes(FCM_TOKEN), false);
    assert.equal(text.includes(VOIP_TOKEN.toLowerCase()), false);
  });

  it('a token registered on a new device leaves the old one', async () => {
    await put(ctx, '/v1/extensions/100/devices/old-phone', {
      platform: 'android',
      fcm_token: FCM_TOKEN,
    });
    await put(ctx, '/v1/extensions/100/devices/new-phone', {
      platform: 'android',
      fcm_token: FCM_TOKEN,
    });
    const res = await handle(
      apiRequest('GET', '/v1/extensions/100/devices', { headers: AUTH }),
      ctx,
    );
    assert.equal(res.body.count, 1);
  });

  it('DELETE removes a device with 200, then answers 404', async () => {
    await put(ctx, '/v1/extensions/100/devices/pixel-8', {
      platform: 'android',
      fcm_token: FCM_TOKEN,
    });
    const req = apiRequest('DELETE', '/v1/extensions/100/devices/pixel-8', { headers: AUTH });
    assert.deepEqual(await handle(req, ctx), {
      status: 200,
      body: { status: 'deleted', extension: '100', device_id: 'pixel-8' },
    });
    assert.deepEqual(await handle(req, ctx), {
      status: 404,
      body: { error: 'not_found', message: 'No device pixel-8 is registered for extension 100.' },
    });
  });

  it('DELETE of a device under another extension answers 404 and keeps it', async () => {
    await put(ctx, '/v1/extensions/100/devices/pixel-8', {
      platform: 'android',
      fcm_token: FCM_TOKEN,
    });
    const res = await handle(
      apiRequest('DELETE', '/v1/extensions/200/devices/pixel-8', { headers: AUTH }),
      ctx,
    );
    assert.equal(res.status, 404);
    assert.ok(ctx.devices.peek('acme', 'pixel-8'));
  });
});
