import assert from 'node:assert/strict';
import { api } from '../support/http';
import { createTenant, db, tenantSnapshot, type TestTenant } from '../support/emulator';
import { fcmToken, voipToken } from '../support/ids';

describe('device registry (emulator)', function () {
  this.timeout(30_000);
  let tenant: TestTenant;
  // Fresh tokens per test: a token another tenant's device holds is that tenant's (409).
  let FCM_A = '';
  let FCM_B = '';
  let VOIP = '';

  beforeEach(async () => {
    tenant = await createTenant();
    [FCM_A, FCM_B, VOIP] = [fcmToken(), fcmToken(), voipToken()];
  });

  const put = (ext: string, id: string, form: Record<string, string>) =>
    api('PUT', `/v1/extensions/${ext}/devices/${id}`, { key: tenant.key, form });

  it('registers, refreshes and lists devices without full tokens', async () => {
    const first = await put('1001', 'pixel', { platform: 'android', fcm_token: FCM_A });
    assert.equal(first.status, 201);
    assert.equal(first.fields.status, 'created');
    const ios = await put('1001', 'iphone', {
      platform: 'ios',
      voip_token: VOIP,
      app_id: 'com.example.sipPhone',
    });
    assert.equal(ios.status, 201);
    const refreshed = await put('1001', 'pixel', { platform: 'android', fcm_token: FCM_A });
    assert.equal(refreshed.status, 200);
    assert.equal(refreshed.fields.status, 'updated');

    const list = await api('GET', '/v1/extensions/1001/devices', { key: tenant.key });
    assert.equal(list.status, 200);
    assert.equal(list.fields.count, 2);
    assert.ok(!list.text.includes(FCM_A) && !list.text.includes(VOIP), 'tokens are masked');
    const devices = list.fields.devices as { device_id: string; apns_env?: string }[];
    assert.deepEqual(
      devices.map((d) => d.device_id),
      ['iphone', 'pixel'],
    );
    assert.equal(devices[0]!.apns_env, 'production');
  });

  it('moves a token to its new device and extension, leaving no stale copy', async () => {
    await put('1001', 'old-phone', { platform: 'android', fcm_token: FCM_A });
    await put('1001', 'tablet', { platform: 'android', fcm_token: FCM_B });
    // The app was reinstalled: same token, new device id, other extension.
    await put('2002', 'new-phone', { platform: 'android', fcm_token: FCM_A });
    const docs = await db().collection(`tenants/${tenant.id}/devices`).get();
    const byId = Object.fromEntries(docs.docs.map((d) => [d.id, d.data()]));
    assert.deepEqual(Object.keys(byId).sort(), ['new-phone', 'tablet']);
    assert.equal(byId['new-phone']!.extension, '2002');
    // A device that moves extension is no longer listed under the old one.
    await put('3003', 'tablet', { platform: 'android', fcm_token: FCM_B });
    const old = await api('GET', '/v1/extensions/1001/devices', { key: tenant.key });
    assert.equal(old.fields.count, 0);
  });

  it('keeps a device that still has another token when one of its tokens moves', async () => {
    await put('1001', 'iphone', {
      platform: 'ios',
      voip_token: VOIP,
      fcm_token: FCM_A,
      app_id: 'com.example.app',
    });
    await put('1001', 'ipad', { platform: 'ios', fcm_token: FCM_A });
    const iphone = (await db().doc(`tenants/${tenant.id}/devices/iphone`).get()).data() ?? {};
    assert.equal(iphone.voipToken, VOIP);
    assert.equal(iphone.fcmToken, undefined);
  });

  it('registers many devices of one tenant at once (a PBX or a fleet booting)', async () => {
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_v, i) =>
        put('1001', `boot-${i}`, { platform: 'android', fcm_token: `${FCM_A}-${i}` }),
      ),
    );
    assert.deepEqual(
      replies.map((r) => r.status),
      Array<number>(8).fill(201),
      replies.map((r) => r.text).join('\n'),
    );
  });

  it('unregisters a device, and answers 404 for an unknown one', async () => {
    await put('1001', 'pixel', { platform: 'android', fcm_token: FCM_A });
    const wrongExt = await api('DELETE', '/v1/extensions/9999/devices/pixel', { key: tenant.key });
    assert.equal(wrongExt.status, 404);
    assert.equal(wrongExt.fields.error, 'not_found');
    const gone = await api('DELETE', '/v1/extensions/1001/devices/pixel', { key: tenant.key });
    assert.equal(gone.status, 200);
    const again = await api('DELETE', '/v1/extensions/1001/devices/pixel', { key: tenant.key });
    assert.equal(again.status, 404);
  });

  it('rejects every invalid registration with a clear 400 and writes nothing', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ fcm_token: FCM_A }, 'platform'],
      [{ platform: 'windows', fcm_token: FCM_A }, 'platform'],
      [{ platform: 'android' }, 'fcm_token'],
      [{ platform: 'android', voip_token: VOIP }, 'voip_token'],
      [{ platform: 'ios', voip_token: VOIP }, 'app_id'],
      [{ platform: 'ios', voip_token: 'not-hex' }, 'voip_token'],
      [{ platform: 'ios', fcm_token: FCM_A, apns_env: 'staging' }, 'apns_env'],
      [{ platform: 'android', fcm_token: 'has spaces in it' }, 'fcm_token'],
    ];
    const before = await tenantSnapshot(tenant.id);
    for (const [form, field] of cases) {
      const reply = await put('1001', 'pixel', form);
      assert.equal(reply.status, 400, JSON.stringify(form));
      assert.equal(reply.fields.error, 'invalid_argument');
      assert.match(
        String(reply.fields.message),
        new RegExp(`^${field}|; ${field}`),
        JSON.stringify(reply.fields),
      );
    }
    const badPath = await put('bad ext!', 'pixel', { platform: 'android', fcm_token: FCM_A });
    assert.equal(badPath.status, 400);
    assert.match(String(badPath.fields.message), /^ext:/);
    assert.equal(await tenantSnapshot(tenant.id), before);
  });
});
