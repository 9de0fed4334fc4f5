import assert from 'node:assert/strict';
import fc from 'fast-check';
import { handle } from '../../../../functions/http/router';
import {
  apiRequest,
  fakeApiContext,
  signIn,
  TEST_PUSH_DEPLOYMENT,
  TEST_VAPID_PUBLIC_KEY,
  type FakeApiContext,
} from '../../../support/fakes';
import { PROJECT_ID } from '../../../support/project';

const KEY = 'k-acme';
const AUTH = { Authorization: `Bearer ${KEY}` };
const TEAM = TEST_PUSH_DEPLOYMENT.apnsTeamId;
const VOIP = '0123456789ABCDEF'.repeat(4);
const REMOTE = 'FEDCBA9876543210'.repeat(4);
const FCM = `dGVzdC1mY206APA91b${'q'.repeat(120)}`;
const DEVICE = '/v1/extensions/2001/devices/sip-5f1c0e9a';

/** A form body as Kamailio's http_client posts it: each value %-encoded. */
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

const linphoneIos = {
  pn_provider: 'apns.dev',
  pn_prid: `${VOIP}:voip&${REMOTE}:remote`,
  pn_param: `${TEAM}.org.linphone.phone.voip&remote`,
};

describe('RFC 8599 push addresses through the device routes', () => {
  let ctx: FakeApiContext;

  beforeEach(() => {
    ctx = fakeApiContext({ [KEY]: 'acme' });
  });

  const send = (
    method: string,
    path: string,
    body: string,
    headers: Record<string, string> = AUTH,
  ) => handle(apiRequest(method, path, { headers, body }), ctx);

  it('POST (as Kamailio sends it) registers a Linphone iPhone as a VoIP device', async () => {
    const res = await send('POST', DEVICE, form(linphoneIos));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(res.body, {
      status: 'created',
      device_id: 'sip-5f1c0e9a',
      extension: '2001',
      platform: 'ios',
      app_id: 'org.linphone.phone',
      apns_env: 'sandbox',
      voip_token: '0123…cdef',
      last_seen_at: new Date(ctx.clock.now()).toISOString(),
    });
    const stored = ctx.devices.peek('acme', 'sip-5f1c0e9a');
    assert.ok(stored);
    assert.equal(stored.voipToken, VOIP.toLowerCase());
    assert.equal(stored.appId, 'org.linphone.phone');
    assert.equal(stored.apnsEnv, 'sandbox');
    assert.equal(stored.fcmToken, undefined, 'the remote token is no FCM token');
    assert.ok(!JSON.stringify(res.body).includes(REMOTE.toLowerCase()));
  });

  it('PUT and POST refresh the same device; POST .../unregister removes it', async () => {
    const android = form({ pn_provider: 'fcm', pn_prid: FCM, pn_param: '123456789012' });
    assert.equal((await send('PUT', DEVICE, android)).status, 201);
    ctx.clock.current += 1_000;
    const refreshed = await send('POST', DEVICE, android);
    assert.equal(refreshed.status, 200);
    assert.equal(ctx.devices.peek('acme', 'sip-5f1c0e9a')?.fcmToken, FCM);
    assert.equal(ctx.devices.peek('acme', 'sip-5f1c0e9a')?.platform, 'android');

    const gone = await send('POST', `${DEVICE}/unregister`, '');
    assert.deepEqual(gone, {
      status: 200,
      body: { status: 'deleted', extension: '2001', device_id: 'sip-5f1c0e9a' },
    });
    assert.equal(ctx.devices.peek('acme', 'sip-5f1c0e9a'), undefined);
    assert.equal((await send('POST', `${DEVICE}/unregister`, '')).status, 404);
  });

  it('hms (no RFC 8599 form): 400 unsupported_provider naming pn_provider, nothing stored', async () => {
    const res = await send(
      'POST',
      DEVICE,
      form({ pn_provider: 'hms', pn_prid: 'token-1234567890', pn_param: 'x' }),
    );
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'unsupported_provider');
    assert.deepEqual(Object.keys(res.body.details as object), ['pn_provider']);
    assert.equal(ctx.devices.peek('acme', 'sip-5f1c0e9a'), undefined);
  });

  it('webpush: a browser device with no keys, and the VAPID key the proxy advertises', async () => {
    const endpoint = 'https://fcm.googleapis.com/fcm/send/dXk3:APA91bE';
    const res = await send('POST', DEVICE, form({ pn_provider: 'webpush', pn_prid: endpoint }));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.vapid_public_key, TEST_VAPID_PUBLIC_KEY);
    assert.deepEqual(ctx.devices.peek('acme', 'sip-5f1c0e9a')?.webPush, { endpoint });
    const inside = await send(
      'POST',
      '/v1/extensions/2001/devices/sip-inside',
      form({ pn_provider: 'webpush', pn_prid: 'https://169.254.169.254/latest' }),
    );
    assert.equal(inside.status, 400);
    assert.deepEqual(Object.keys(inside.body.details as object), ['pn_prid']);
    assert.equal(ctx.devices.peek('acme', 'sip-inside'), undefined);
  });

  it('a wrong APNs team: 400 invalid_argument naming pn_param, nothing stored', async () => {
    const res = await send(
      'POST',
      DEVICE,
      form({ ...linphoneIos, pn_param: 'WRONGTEAM1.org.linphone.phone.voip&remote' }),
    );
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_argument');
    assert.deepEqual(Object.keys(res.body.details as object), ['pn_param']);
    assert.equal(ctx.devices.peek('acme', 'sip-5f1c0e9a'), undefined);
  });

  it("the app route takes a push address for the user's own device", async () => {
    const alice = signIn(ctx, 'uid-alice');
    await ctx.members.add('acme', '2001', 'uid-alice', 'pairing');
    const res = await send(
      'PUT',
      '/v1/app/devices/iphone',
      form({ extension: '2001', ...linphoneIos }),
      {
        Authorization: `Bearer ${alice}`,
      },
    );
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(ctx.devices.peek('acme', 'iphone')?.ownerUid, 'uid-alice');
    assert.equal(ctx.devices.peek('acme', 'iphone')?.voipToken, VOIP.toLowerCase());

    const refused = await send(
      'PUT',
      '/v1/app/devices/ipad',
      form({ extension: '2001', ...linphoneIos, pn_provider: 'hms' }),
      { Authorization: `Bearer ${alice}` },
    );
    assert.equal(refused.body.error, 'unsupported_provider');
    assert.equal(ctx.devices.peek('acme', 'ipad'), undefined);
  });

  it('writes nothing for any refused push address, on either route (property)', async () => {
    const piece = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(VOIP, `${VOIP}:voip`, `${REMOTE}:remote`, FCM, '%', '&', ':voip'),
      fc.constantFrom(`${TEAM}.a.b.voip`, `${TEAM}.a.b.voip&remote`, PROJECT_ID, '1'),
    );
    const address = fc.record({
      pn_provider: fc.constantFrom('apns', 'apns.dev', 'fcm', 'webpush', 'x y', '', 'hms'),
      pn_prid: fc.array(piece, { maxLength: 3 }).map((p) => p.join('&')),
      pn_param: fc.array(piece, { maxLength: 2 }).map((p) => p.join('')),
    });
    const alice = signIn(ctx, 'uid-alice');
    await ctx.members.add('acme', '2001', 'uid-alice', 'pairing');
    await fc.assert(
      fc.asyncProperty(address, fc.boolean(), async (fields, viaApp) => {
        const id = `d-${Math.random().toString(36).slice(2)}`;
        const res = viaApp
          ? await send('PUT', `/v1/app/devices/${id}`, form({ extension: '2001', ...fields }), {
              Authorization: `Bearer ${alice}`,
            })
          : await send('POST', `/v1/extensions/2001/devices/${id}`, form(fields));
        if (res.status < 300) {
          assert.ok(ctx.devices.peek('acme', id), 'a 2xx stored the device');
          return;
        }
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.ok(['invalid_argument', 'unsupported_provider'].includes(res.body.error as string));
        assert.equal(ctx.devices.peek('acme', id), undefined, 'a refusal stores nothing');
      }),
      { numRuns: 300 },
    );
  });
});
