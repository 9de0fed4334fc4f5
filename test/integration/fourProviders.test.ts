import assert from 'node:assert/strict';
import { callUuid } from '../../functions/core/call/callUuid';
import { parseVapidKey } from '../../functions/push/vapidKey';
import { createTenant, localConfig, storedCall, type TestTenant } from '../support/emulator';
import { api } from '../support/http';
import { callId, fcmToken, hmsToken, voipToken } from '../support/ids';
import { fcmMessage, startProviders, type Providers } from '../support/providers';
import { eventually } from '../support/wait';
import { INCOMING_CALL_KEYS } from '../support/payloadKeys';

describe('every phone and every browser: FCM, APNs, Web Push and HMS (emulator, fake providers)', function () {
  this.timeout(60_000);
  let tenant: TestTenant;
  let fakes: Providers;
  const config = localConfig();
  const vapidPublicKey = parseVapidKey(config.VAPID_KEY!).publicKey;

  before(async () => {
    fakes = await startProviders();
  });
  beforeEach(async () => {
    tenant = await createTenant('live');
  });
  afterEach(() => {
    fakes.fcm.answerDelayMs = 0;
  });

  const register = async (ext: string, id: string, form: Record<string, string>) => {
    const reply = await api('PUT', `/v1/extensions/${ext}/devices/${id}`, {
      key: tenant.key,
      form,
    });
    assert.ok(reply.status === 201 || reply.status === 200, reply.text);
    return reply;
  };
  const browserForm = (sub: { endpoint: string; keys: { p256dh: string; auth: string } }) => ({
    platform: 'web',
    webpush_endpoint: sub.endpoint,
    webpush_p256dh: sub.keys.p256dh,
    webpush_auth: sub.keys.auth,
  });
  const ring = (id: string, ext: string) =>
    api('POST', '/v1/calls', {
      key: tenant.key,
      form: { call_id: id, to: ext, from: '5551234', from_name: 'Alice', ring_timeout: '30' },
    });
  const devicesOf = async (ext: string) =>
    (
      (await api('GET', `/v1/extensions/${ext}/devices`, { key: tenant.key })).fields.devices as {
        device_id: string;
      }[]
    ).map((d) => d.device_id);

  it('pushes an Android phone, an iPhone, a browser and a Huawei phone at once, each with the seeds’ keys', async () => {
    const android = fcmToken();
    const iphone = voipToken();
    const huawei = hmsToken();
    const browser = fakes.webPush.subscribe({ applicationServerKey: vapidPublicKey });
    await register('1001', 'pixel', { platform: 'android', fcm_token: android });
    await register('1001', 'iphone', {
      platform: 'ios',
      voip_token: iphone,
      app_id: 'com.example.sip',
    });
    const web = await register('1001', 'tab', browserForm(browser));
    assert.equal(web.fields.vapid_public_key, vapidPublicKey, 'the browser learns the VAPID key');
    await register('1001', 'mate', { platform: 'android', hms_token: huawei });
    // FCM answers 1.5 s late: pushes sent one after another would spread over more than that.
    // Well inside the fan-out lease (FANOUT_LEASE_MS, 4 s): past it, another run may take the
    // fan-out over and push what it finds pending, as docs/guarantees.md says.
    fakes.fcm.answerDelayMs = 1_500;

    const id = callId();
    const reply = await ring(id, '1001');
    assert.equal(reply.status, 201, reply.text);
    assert.equal(reply.fields.pushed, 4);
    const uuid = callUuid(tenant.id, id);

    const [fcm, ...moreFcm] = fakes.fcm.requestsFor(android);
    // A request Apple refused for its provider token (too soon after another of the team's,
    // or stale) or left unprocessed by a GOAWAY never reached the phone, and the sender sends
    // it again: only the pushes Apple acted on count (FakeApns.pushesFor).
    const [apns, ...moreApns] = fakes.apns.production.pushesFor(iphone);
    const [webPush, ...moreWeb] = fakes.webPush.requestsFor(browser.endpoint);
    const [hms, ...moreHms] = fakes.hms.requestsFor(huawei);
    assert.ok(fcm && apns && webPush && hms, 'each fake got a push');
    // On a failure, what each fake answered (never the tokens): a second request after a
    // refusal (GOAWAY, a provider-token verdict) is not a second ring, one after a 200 would be.
    const answered = (records: { status?: number; reason?: string; refusedByGoaway?: boolean }[]) =>
      records.map(
        (r) => `${r.status ?? '-'} ${r.reason ?? ''}${r.refusedByGoaway ? ' goaway' : ''}`,
      );
    assert.deepEqual(
      [moreFcm, moreApns, moreWeb, moreHms].map((m) => m.length),
      [0, 0, 0, 0],
      JSON.stringify({
        apns: answered(fakes.apns.production.requestsFor(iphone)),
        fcm: answered(fakes.fcm.requestsFor(android)),
      }),
    );
    assert.deepEqual([fcm.status, apns.status, webPush.status, hms.status], [200, 200, 201, 200]);
    const arrivals = [fcm.receivedAt, apns.receivedAt, webPush.receivedAt, hms.receivedAt];
    assert.ok(
      Math.max(...arrivals) - Math.min(...arrivals) < 1_500,
      'no push waited for FCM’s answer',
    );

    // Every push carries the same keys and values: FCM's data map is the reference.
    const data = fcmMessage(fcm).data;
    assert.deepEqual(Object.keys(data).sort(), INCOMING_CALL_KEYS);
    assert.equal(data.call_uuid, uuid);
    const decrypted = JSON.parse(webPush.payload ?? 'null') as Record<string, string>;
    assert.deepEqual(decrypted, data, 'the Web Push payload decrypts to the seeds’ keys');
    assert.deepEqual(hms.data, data);
    const { aps: _aps, ...voip } = apns.body as Record<string, unknown>;
    assert.deepEqual(voip, data);

    // Web Push: RFC 8030 headers and an RFC 8292 token the fake verified.
    assert.equal(webPush.urgency, 'high');
    assert.equal(webPush.topic, uuid.replace(/-/g, ''));
    assert.ok(
      webPush.ttl !== undefined && webPush.ttl >= 25 && webPush.ttl <= 30,
      `${webPush.ttl}`,
    );
    assert.equal(webPush.vapid?.key, vapidPublicKey);
    assert.equal(webPush.vapid.claims.aud, fakes.webPush.origin);
    assert.equal(webPush.vapid.claims.sub, config.WEBPUSH_SUBJECT);
    // HMS: a high-priority VoIP data message that lives as long as the ring.
    assert.equal(hms.path, `/v1/${config.HMS_CLIENT_ID}/messages:send`);
    assert.equal(hms.android?.urgency, 'HIGH');
    assert.equal(hms.android.category, 'VOIP');
    const ttl = Number(/^(\d+)s$/.exec(String(hms.android.ttl))?.[1]);
    assert.ok(ttl >= 25 && ttl <= 30, String(hms.android.ttl));
    const collapse = hms.android.collapse_key as number;
    assert.ok(Number.isInteger(collapse) && collapse >= 1 && collapse <= 100);

    const call = await storedCall(tenant.id, id);
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(call.deliveries).map(([d, v]) => [d, [v.provider, v.kind, v.status]]),
      ),
      {
        pixel: ['fcm', 'data', 'accepted'],
        iphone: ['apns', 'voip', 'accepted'],
        tab: ['webpush', 'data', 'accepted'],
        mate: ['hms', 'data', 'accepted'],
      },
    );
  });

  it('replaces an incoming push the push service still queues with the cancel (same Topic, same collapse group)', async () => {
    const browser = fakes.webPush.subscribe({
      applicationServerKey: vapidPublicKey,
      online: false,
    });
    const huawei = hmsToken();
    await register('1002', 'tab', browserForm(browser));
    await register('1002', 'mate', { platform: 'android', hms_token: huawei });
    const id = callId();
    assert.equal((await ring(id, '1002')).status, 201);
    assert.equal(fakes.webPush.queued(browser.endpoint).length, 1, 'the tab is asleep: queued');

    const cancel = await api('POST', `/v1/calls/${encodeURIComponent(id)}/cancel`, {
      key: tenant.key,
      form: { reason: 'hangup' },
    });
    assert.equal(cancel.status, 200, cancel.text);
    const queue = await eventually(() => {
      const q = fakes.webPush.queued(browser.endpoint);
      return q.length === 1 && q[0]?.payload?.includes('call_cancelled') ? q : undefined;
    }, 'the cancel to replace the queued incoming push');
    const [incoming, cancelled] = fakes.webPush.requestsFor(browser.endpoint);
    assert.equal(cancelled?.topic, incoming?.topic, 'one Topic for the call');
    const payload = JSON.parse(queue[0]!.payload!) as Record<string, string>;
    assert.equal(payload.type, 'call_cancelled');
    assert.equal(payload.reason, 'hangup');
    assert.equal(payload.call_uuid, callUuid(tenant.id, id));
    const replaced = fakes.webPush.messages.find((m) => m.replacedBy === queue[0]!.id);
    assert.ok(replaced?.payload?.includes('incoming_call'), 'the incoming push was replaced');

    // The tab wakes: it gets the cancel alone, never the call that has ended.
    fakes.webPush.setOnline(browser.endpoint, true);
    const delivered = fakes.webPush.deliveredTo(browser.endpoint).map((m) => m.payload ?? '');
    assert.deepEqual(
      delivered.map((p) => (JSON.parse(p) as { type: string }).type),
      ['call_cancelled'],
    );

    const hmsCancel = await eventually(
      () => fakes.hms.requestsFor(huawei).find((r) => r.data?.type === 'call_cancelled'),
      'the HMS cancel push',
    );
    const [hmsIncoming] = fakes.hms.requestsFor(huawei);
    assert.equal(hmsCancel.android?.collapse_key, hmsIncoming?.android?.collapse_key);
    assert.equal(hmsCancel.data?.reason, 'hangup');
  });

  it('removes a subscription the push service calls gone (410) and a token Huawei calls invalid', async () => {
    const gone = fakes.webPush.subscribe({ applicationServerKey: vapidPublicKey });
    const notFound = fakes.webPush.subscribe({ applicationServerKey: vapidPublicKey });
    const invalid = hmsToken();
    const kept = fcmToken();
    await register('1003', 'old-tab', browserForm(gone));
    await register('1003', 'other-tab', browserForm(notFound));
    await register('1003', 'old-mate', { platform: 'android', hms_token: invalid });
    await register('1003', 'pixel', { platform: 'android', fcm_token: kept });
    fakes.webPush.unregister(gone.endpoint);
    fakes.webPush.script(notFound.endpoint, [{ status: 404 }]);
    fakes.hms.unregister(invalid);

    const id = callId();
    const reply = await ring(id, '1003');
    assert.equal(reply.status, 201, reply.text);
    assert.equal(reply.fields.pushed, 1);
    const call = await storedCall(tenant.id, id);
    assert.deepEqual(
      ['old-tab', 'other-tab', 'old-mate'].map((d) => [
        call.deliveries[d]?.status,
        call.deliveries[d]?.providerStatus,
      ]),
      [
        ['dead_token', 410],
        ['dead_token', 404],
        ['dead_token', 200],
      ],
    );
    assert.equal(fakes.hms.requestsFor(invalid)[0]?.code, '80300007');
    assert.deepEqual(await devicesOf('1003'), ['pixel']);
  });

  it('honours a push service’s and Huawei’s Retry-After within the ring deadline', async () => {
    const browser = fakes.webPush.subscribe({ applicationServerKey: vapidPublicKey });
    const huawei = hmsToken();
    await register('1004', 'tab', browserForm(browser));
    await register('1004', 'mate', { platform: 'android', hms_token: huawei });
    fakes.webPush.script(browser.endpoint, [{ status: 429, retryAfter: 1 }]);
    fakes.hms.script(huawei, [{ status: 503, retryAfter: 1 }]);

    const id = callId();
    const reply = await ring(id, '1004');
    assert.equal(reply.status, 201, reply.text);
    assert.equal(reply.fields.pushed, 2);
    for (const requests of [
      fakes.webPush.requestsFor(browser.endpoint),
      fakes.hms.requestsFor(huawei),
    ]) {
      const [refused, accepted, ...more] = requests;
      assert.ok(refused && accepted && more.length === 0, `${requests.length} requests`);
      assert.ok(accepted.receivedAt - refused.receivedAt >= 1_000, 'waited the Retry-After');
    }
    const call = await storedCall(tenant.id, id);
    for (const device of ['tab', 'mate']) {
      const delivery = call.deliveries[device]!;
      assert.equal(delivery.status, 'accepted');
      assert.equal(delivery.attempts, 2);
      assert.ok(delivery.settledAt! < call.expiresAt, 'within the ring deadline');
    }
  });

  it('keeps a subscription whose push was too big (413) or made for another VAPID key (403)', async () => {
    const big = fakes.webPush.subscribe({ applicationServerKey: vapidPublicKey });
    const otherKey = fakes.webPush.subscribe({
      applicationServerKey:
        'BOtherKeyOtherKeyOtherKeyOtherKeyOtherKeyOtherKeyOtherKeyOtherKeyOtherKeyOtherKeyOt',
    });
    await register('1005', 'big', browserForm(big));
    await register('1005', 'foreign', browserForm(otherKey));
    fakes.webPush.script(big.endpoint, [{ status: 413 }]);
    const id = callId();
    assert.equal((await ring(id, '1005')).status, 201);
    const call = await storedCall(tenant.id, id);
    assert.deepEqual(
      [call.deliveries.big?.status, call.deliveries.big?.reason, call.deliveries.big?.attempts],
      ['failed', 'payload_too_large', 1],
    );
    assert.deepEqual(
      [call.deliveries.foreign?.status, call.deliveries.foreign?.reason],
      ['failed', 'vapid_key_mismatch'],
    );
    assert.equal(fakes.webPush.requestsFor(otherKey.endpoint)[0]?.status, 403);
    assert.deepEqual((await devicesOf('1005')).sort(), ['big', 'foreign']);
  });

  it('refreshes an HMS bearer Huawei says has expired, once, within the same push', async () => {
    const huawei = hmsToken();
    await register('1006', 'mate', { platform: 'android', hms_token: huawei });
    assert.equal((await ring(callId(), '1006')).status, 201); // a bearer is cached now
    fakes.hms.expireAccessTokens();
    const id = callId();
    const reply = await ring(id, '1006');
    assert.equal(reply.fields.pushed, 1, reply.text);
    const [, expired, fresh] = fakes.hms.requestsFor(huawei);
    assert.deepEqual([expired?.status, expired?.code], [401, '80200003']);
    assert.deepEqual([fresh?.status, fresh?.code], [200, '80000000']);
    assert.notEqual(expired?.headers.authorization, fresh?.headers.authorization);
    const delivery = (await storedCall(tenant.id, id)).deliveries.mate!;
    assert.deepEqual([delivery.status, delivery.attempts], ['accepted', 1]);
  });

  it('serves the VAPID public key browsers subscribe with, to a caller with a credential', async () => {
    const reply = await api('GET', '/v1/webpush/public-key', { key: tenant.key });
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.fields, { public_key: vapidPublicKey });
    assert.equal((await api('GET', '/v1/webpush/public-key')).status, 401);
  });

  it('refuses endpoints into private, loopback or reserved networks, writing nothing', async () => {
    const keys = fakes.webPush.subscribe().keys;
    for (const endpoint of [
      'https://127.0.0.1/wpush/x',
      'https://10.1.2.3/wpush/x',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/wpush/x',
      'https://[::ffff:192.168.1.1]/wpush/x',
      'https://2130706433/wpush/x',
      'https://localhost/wpush/x',
      'https://push.internal/wpush/x',
      'https://127.0.0.1:8080/wpush/x',
      'http://push.example.net/wpush/x',
    ]) {
      const reply = await api('PUT', '/v1/extensions/1007/devices/tab', {
        key: tenant.key,
        form: {
          platform: 'web',
          webpush_endpoint: endpoint,
          webpush_p256dh: keys.p256dh,
          webpush_auth: keys.auth,
        },
      });
      assert.equal(reply.status, 400, `${endpoint}: ${reply.text}`);
      assert.ok('webpush_endpoint' in (reply.fields.details as object), reply.text);
    }
    assert.deepEqual(await devicesOf('1007'), []);
  });

  it('registers an RFC 8599 webpush phone and wakes it with a push that carries no payload', async () => {
    const browser = fakes.webPush.subscribe({ applicationServerKey: vapidPublicKey });
    const reply = await register('1008', 'sip-tab', {
      pn_provider: 'webpush',
      pn_prid: browser.endpoint,
    });
    assert.equal(reply.fields.platform, 'web');
    assert.equal(reply.fields.webpush_payload, false);
    assert.equal(reply.fields.vapid_public_key, vapidPublicKey);
    const id = callId();
    assert.equal((await ring(id, '1008')).status, 201);
    const [push] = fakes.webPush.requestsFor(browser.endpoint);
    assert.equal(push?.status, 201);
    assert.equal(push.bodyBytes, 0);
    assert.equal(push.payload, undefined);
    assert.equal((await storedCall(tenant.id, id)).deliveries['sip-tab']?.kind, 'wake');
  });
});
