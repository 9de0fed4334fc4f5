import assert from 'node:assert/strict';
import { callUuid } from '../../../../functions/core/callUuid';
import { handle } from '../../../../functions/http/router';
import { apiRequest, fakeApiContext, type FakeApiContext } from '../../../support/fakes';

const KEY = 'k-acme';
const FCM_TOKEN = 'fcm-token-pixel-' + 'x'.repeat(40);
const VOIP_TOKEN = 'ab'.repeat(32);
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

function postCall(ctx: FakeApiContext, body: string, headers: Record<string, string> = {}) {
  return handle(
    apiRequest('POST', '/v1/calls', {
      headers: { Authorization: `Bearer ${KEY}`, ...FORM, ...headers },
      body,
    }),
    ctx,
  );
}

describe('POST /v1/calls through the router', () => {
  let ctx: FakeApiContext;

  beforeEach(() => {
    ctx = fakeApiContext({ [KEY]: 'acme', 'k-globex': 'globex' });
    ctx.devices.put('acme', {
      deviceId: 'pixel-8',
      extension: '100',
      platform: 'android',
      fcmToken: FCM_TOKEN,
      apnsEnv: 'production',
      lastSeenAt: 0,
    });
    ctx.devices.put('acme', {
      deviceId: 'iphone-15',
      extension: '100',
      platform: 'ios',
      voipToken: VOIP_TOKEN,
      appId: 'com.example.phone',
      apnsEnv: 'sandbox',
      lastSeenAt: 0,
    });
  });

  it('rings every device and answers 201 with the call', async () => {
    const res = await postCall(
      ctx,
      'call_id=1700000000.42&to=100&from=%2B3225550100&from_name=Zo%C3%AB',
    );
    const uuid = callUuid('acme', '1700000000.42');
    assert.deepEqual(res, {
      status: 201,
      body: { status: 'ringing', call_id: '1700000000.42', call_uuid: uuid, devices: 2, pushed: 2 },
    });
    assert.deepEqual(ctx.sendersAskedFor, [{ id: 'acme' }]);
    assert.deepEqual(
      ctx.sender.sent.map((s) => s.push.token).sort(),
      [VOIP_TOKEN, FCM_TOKEN].sort(),
    );
    const voip = ctx.sender.sentTo(VOIP_TOKEN)[0]!;
    assert.equal(voip.push.url, `https://apns-sandbox.test/3/device/${VOIP_TOKEN}`);
    assert.equal((voip.push.body as Record<string, string>).caller_name, 'Zoë');
    assert.equal(voip.deadline, ctx.clock.now() + ctx.sendBudgetMs);
    const stored = await ctx.calls.get('acme', uuid);
    assert.equal(stored?.pushed, 2);
    assert.equal(stored.deliveries['iphone-15']?.status, 'accepted');
  });

  it('accepts a JSON body', async () => {
    const res = await postCall(
      ctx,
      JSON.stringify({ call_id: 'c-json', to: '100', ring_timeout: 20 }),
      {
        'Content-Type': 'application/json',
      },
    );
    assert.equal(res.status, 201);
    const stored = await ctx.calls.get('acme', callUuid('acme', 'c-json'));
    assert.equal(stored?.ringTimeout, 20);
  });

  it('answers 200 with duplicate content for a repeated call id, pushing nothing more', async () => {
    const first = await postCall(ctx, 'call_id=c1&to=100');
    const again = await postCall(ctx, 'call_id=c1&to=100');
    assert.equal(first.status, 201);
    assert.deepEqual(again, { status: 200, body: first.body });
    assert.equal(ctx.sender.sent.length, 2);
  });

  it('answers 201 no_devices for an extension without devices', async () => {
    const res = await postCall(ctx, 'call_id=c2&to=555');
    assert.equal(res.status, 201);
    assert.equal(res.body.status, 'no_devices');
    assert.equal(res.body.devices, 0);
    assert.equal(ctx.sender.sent.length, 0);
  });

  it("keeps tenants apart: another tenant's key sees none of acme's devices", async () => {
    const res = await handle(
      apiRequest('POST', '/v1/calls', {
        headers: { 'X-Api-Key': 'k-globex', ...FORM },
        body: 'call_id=c1&to=100',
      }),
      ctx,
    );
    assert.equal(res.status, 201);
    assert.equal(res.body.status, 'no_devices');
    assert.equal(res.body.call_uuid, callUuid('globex', 'c1'));
  });

  it('answers 401 without a key or with a wrong key, before reading the body', async () => {
    const missing = await handle(
      apiRequest('POST', '/v1/calls', { headers: FORM, body: 'call_id=c1&to=100' }),
      ctx,
    );
    assert.equal(missing.status, 401);
    assert.equal(missing.body.error, 'unauthenticated');
    const wrong = await postCall(ctx, 'garbage', { Authorization: 'Bearer k-nope' });
    assert.deepEqual(wrong, {
      status: 401,
      body: { error: 'unauthenticated', message: 'The API key is not valid.' },
    });
    assert.equal(ctx.calls.created.length, 0);
  });

  it('answers 401 for a key in the query string', async () => {
    const res = await handle(
      apiRequest('POST', '/v1/calls', {
        headers: FORM,
        query: `api_key=${KEY}`,
        body: 'call_id=c1&to=100',
      }),
      ctx,
    );
    assert.equal(res.status, 401);
  });

  it('answers 400 with every bad field for an invalid body', async () => {
    const res = await postCall(ctx, 'to=&ring_timeout=500');
    assert.deepEqual(res, {
      status: 400,
      body: {
        error: 'invalid_argument',
        message:
          'call_id: is required; to: must be 1-64 characters of A-Z a-z 0-9 _ . + * # -; ' +
          'ring_timeout: must be at most 120 seconds',
        details: {
          call_id: 'is required',
          to: 'must be 1-64 characters of A-Z a-z 0-9 _ . + * # -',
          ring_timeout: 'must be at most 120 seconds',
        },
      },
    });
    assert.equal(ctx.calls.created.length, 0);
  });

  it('answers 415 for text/plain and 400 for malformed JSON', async () => {
    assert.equal(
      (await postCall(ctx, 'call_id=c1&to=100', { 'Content-Type': 'text/plain' })).status,
      415,
    );
    assert.equal((await postCall(ctx, '{', { 'Content-Type': 'application/json' })).status, 400);
  });

  it('answers 503 with Retry-After when the call store is down', async () => {
    const outage = Object.assign(new Error('UNAVAILABLE'), { code: 14 });
    ctx.calls.createOnce = () => Promise.reject(outage);
    const res = await postCall(ctx, 'call_id=c1&to=100');
    assert.equal(res.status, 503);
    assert.deepEqual(res.headers, { 'Retry-After': '1' });
    assert.deepEqual(ctx.reported, [outage]);
    assert.equal(ctx.sender.sent.length, 0);
  });
});

describe('GET /v1/calls/{call_id} through the router', () => {
  it('shows a known call and 404s an unknown one', async () => {
    const ctx = fakeApiContext({ [KEY]: 'acme' });
    const headers = { Authorization: `Bearer ${KEY}` };
    await handle(
      apiRequest('POST', '/v1/calls', {
        headers,
        body: 'call_id=abc%40pbx.example.com&to=100&ring_timeout=20',
      }),
      ctx,
    );
    const res = await handle(
      apiRequest('GET', '/v1/calls/abc%40pbx.example.com', { headers }),
      ctx,
    );
    assert.deepEqual(res, {
      status: 200,
      body: {
        status: 'no_devices',
        call_id: 'abc@pbx.example.com',
        call_uuid: callUuid('acme', 'abc@pbx.example.com'),
        extension: '100',
        devices: 0,
        pushed: 0,
        expires_at: new Date(ctx.clock.now() + 20_000).toISOString(),
      },
    });
    assert.deepEqual(await handle(apiRequest('GET', '/v1/calls/nope', { headers }), ctx), {
      status: 404,
      body: { error: 'not_found', message: 'No call nope is known.' },
    });
  });
});
