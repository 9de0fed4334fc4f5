import assert from 'node:assert/strict';
import {
  deviceView,
  maskEndpoint,
  maskToken,
  registerDevice,
  unregisterDevice,
} from '../../../../functions/core/devices/registerDevice';
import { AppError } from '../../../../functions/core/errors';
import { FakeDeviceStore } from '../../../support/fakes';
import {
  androidDevice,
  browserDevice,
  FCM_TOKEN,
  HMS_TOKEN,
  huaweiDevice,
  iosVoipDevice,
  NOW,
  VOIP_TOKEN,
  WEB_AUTH,
  WEB_ENDPOINT,
  WEB_P256DH,
} from '../fixtures';

describe('maskToken', () => {
  it('keeps the first and last four characters of a long token', () => {
    assert.equal(maskToken('abcdefghijklmnop'), 'abcd…mnop');
    assert.equal(maskToken(VOIP_TOKEN), '0123…cdef');
  });

  it('hides short tokens entirely', () => {
    assert.equal(maskToken('abcdefghijklmno'), '***');
    assert.equal(maskToken(''), '***');
  });
});

describe('maskEndpoint', () => {
  it('shows the push service and masks the subscription', () => {
    assert.equal(
      maskEndpoint('https://push.example.net/wpush/v2/abcdefghijklmnop'),
      'https://push.example.net/wpus…mnop',
    );
  });

  it('masks a stored endpoint that is no URL as a token, whole', () => {
    assert.equal(maskEndpoint('not-a-url-but-a-secret'), '/not-…cret');
    assert.equal(maskEndpoint('short'), '/***');
  });
});

describe('deviceView', () => {
  it('shows an Android device without apns_env and with a masked token', () => {
    assert.deepEqual(deviceView(androidDevice()), {
      device_id: 'pixel-8',
      extension: '100',
      platform: 'android',
      fcm_token: 'fcm-…xxxx',
      last_seen_at: new Date(NOW - 60_000).toISOString(),
    });
  });

  it('shows an iOS device with its app id, environment and masked tokens', () => {
    assert.deepEqual(deviceView(iosVoipDevice({ fcmToken: FCM_TOKEN, apnsEnv: 'sandbox' })), {
      device_id: 'iphone-15',
      extension: '100',
      platform: 'ios',
      app_id: 'com.example.phone',
      apns_env: 'sandbox',
      fcm_token: 'fcm-…xxxx',
      voip_token: '0123…cdef',
      last_seen_at: '2023-11-14T22:12:20.000Z',
    });
  });

  it('never contains a full token anywhere', () => {
    const text = JSON.stringify(deviceView(iosVoipDevice({ fcmToken: FCM_TOKEN })));
    assert.equal(text.includes(FCM_TOKEN), false);
    assert.equal(text.includes(VOIP_TOKEN), false);
    assert.equal(text.includes(VOIP_TOKEN.slice(0, 16)), false);
  });
});

describe('registerDevice', () => {
  it('stores a new device and says it was created', async () => {
    const store = new FakeDeviceStore();
    const result = await registerDevice(
      store,
      'acme',
      '100',
      'iphone-15',
      {
        platform: 'ios',
        voip_token: VOIP_TOKEN,
        app_id: 'com.example.phone',
        apns_env: 'production',
      },
      NOW,
    );
    assert.equal(result.created, true);
    assert.equal(result.device.voip_token, '0123…cdef');
    assert.deepEqual(store.peek('acme', 'iphone-15'), iosVoipDevice({ lastSeenAt: NOW }));
  });

  it('stores a Huawei phone with its HMS token', async () => {
    const store = new FakeDeviceStore();
    await registerDevice(
      store,
      'acme',
      '100',
      'mate-60',
      { platform: 'android', hms_token: 'AQ-tok' },
      NOW,
    );
    assert.equal(store.peek('acme', 'mate-60')?.hmsToken, 'AQ-tok');
  });

  it("stores a browser's subscription with its keys, and an RFC 8599 one (no keys) without", async () => {
    const store = new FakeDeviceStore();
    await registerDevice(
      store,
      'acme',
      '100',
      'tab',
      {
        platform: 'web',
        webpush_endpoint: WEB_ENDPOINT,
        webpush_p256dh: WEB_P256DH,
        webpush_auth: WEB_AUTH,
      },
      NOW,
    );
    assert.deepEqual(store.peek('acme', 'tab')?.webPush, {
      endpoint: WEB_ENDPOINT,
      p256dh: WEB_P256DH,
      auth: WEB_AUTH,
    });
    await registerDevice(
      store,
      'acme',
      '100',
      'sip-tab',
      { platform: 'web', webpush_endpoint: WEB_ENDPOINT },
      NOW,
    );
    assert.deepEqual(store.peek('acme', 'sip-tab')?.webPush, { endpoint: WEB_ENDPOINT });
  });

  it('refreshes an existing device and says it was not created', async () => {
    const store = new FakeDeviceStore();
    store.put('acme', androidDevice());
    const result = await registerDevice(
      store,
      'acme',
      '100',
      'pixel-8',
      { platform: 'android', fcm_token: 'new-token-0123456789', apns_env: 'production' },
      NOW + 1_000,
    );
    assert.equal(result.created, false);
    assert.equal(result.device.last_seen_at, new Date(NOW + 1_000).toISOString());
    assert.equal(store.peek('acme', 'pixel-8')!.fcmToken, 'new-token-0123456789');
  });

  it('keeps the APNs environment a push proved when a refresh of the same token omits it', async () => {
    const store = new FakeDeviceStore();
    store.put('acme', iosVoipDevice({ apnsEnv: 'sandbox' }));
    const refresh = {
      platform: 'ios' as const,
      voip_token: VOIP_TOKEN,
      app_id: 'com.example.phone',
    };
    await registerDevice(store, 'acme', '100', 'iphone-15', refresh, NOW);
    assert.equal(store.peek('acme', 'iphone-15')?.apnsEnv, 'sandbox');
    // A new token starts over at production; an explicit apns_env always wins.
    const other = 'ab'.repeat(32);
    await registerDevice(store, 'acme', '100', 'iphone-15', { ...refresh, voip_token: other }, NOW);
    assert.equal(store.peek('acme', 'iphone-15')?.apnsEnv, 'production');
    await registerDevice(
      store,
      'acme',
      '100',
      'iphone-15',
      { ...refresh, apns_env: 'sandbox' },
      NOW,
    );
    assert.equal(store.peek('acme', 'iphone-15')?.apnsEnv, 'sandbox');
  });
});

describe('unregisterDevice', () => {
  it('removes a device of the extension', async () => {
    const store = new FakeDeviceStore();
    store.put('acme', androidDevice());
    await unregisterDevice(store, 'acme', '100', 'pixel-8');
    assert.equal(store.peek('acme', 'pixel-8'), undefined);
  });

  it('throws not_found for an unknown device, or one of another extension', async () => {
    const store = new FakeDeviceStore();
    store.put('acme', androidDevice({ extension: '200' }));
    for (const [ext, id] of [
      ['100', 'pixel-8'],
      ['100', 'nope'],
    ] as const) {
      await assert.rejects(unregisterDevice(store, 'acme', ext, id), (err: unknown) => {
        assert.ok(err instanceof AppError);
        assert.equal(err.code, 'not_found');
        assert.equal(err.status, 404);
        assert.equal(err.message, `No device ${id} is registered for extension ${ext}.`);
        return true;
      });
    }
    assert.ok(store.peek('acme', 'pixel-8'), 'the other extension keeps its device');
  });
});

describe('deviceView of browsers and Huawei phones', () => {
  it('shows which push service, never the subscription, its keys or the HMS token', () => {
    const tab = deviceView(browserDevice());
    assert.equal(
      tab.webpush_endpoint,
      `https://fcm.googleapis.com/${maskToken(WEB_ENDPOINT.slice(27))}`,
    );
    assert.equal(tab.webpush_payload, true);
    const text = JSON.stringify(tab);
    for (const secret of [WEB_ENDPOINT, WEB_P256DH, WEB_AUTH]) assert.ok(!text.includes(secret));
    const rfc8599 = deviceView(browserDevice({ webPush: { endpoint: WEB_ENDPOINT } }));
    assert.equal(rfc8599.webpush_payload, false);
    const mate = deviceView(huaweiDevice());
    assert.equal(mate.hms_token, maskToken(HMS_TOKEN));
    assert.ok(!JSON.stringify(mate).includes(HMS_TOKEN));
  });
});
