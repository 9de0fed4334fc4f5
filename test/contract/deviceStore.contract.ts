import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Device } from '../../functions/core/model';
import type { DeviceStore } from '../../functions/core/ports';

/**
 * The DeviceStore contract the push paths rely on (token uniqueness, dropToken, setApnsEnv),
 * checked against the in-memory double and FirestoreDeviceStore alike. Who may register a
 * device (ownership) is the routes' and rules' business, tested there.
 */

/**
 * What a store may keep beside a device's own fields: when it was first stored, and (the
 * Firestore store, for its queries) `registrar`, which must repeat what `ownerUid` says.
 */
const STORAGE_ONLY = ['createdAt', 'registrar'];
const strip = (device: Device): Device => {
  const registrar = (device as Device & { registrar?: unknown }).registrar;
  if (registrar !== undefined) {
    assert.equal(registrar, device.ownerUid ? 'app' : 'pbx', `registrar of ${device.deviceId}`);
  }
  return Object.fromEntries(
    Object.entries(device).filter(([k]) => !STORAGE_ONLY.includes(k)),
  ) as unknown as Device;
};
const plain = (device: Device | null) => device && strip(device);
const byId = (a: Device, b: Device) => a.deviceId.localeCompare(b.deviceId);

const hex = (n: number) => randomBytes(n).toString('hex');

function android(deviceId: string, overrides: Partial<Device> = {}): Device {
  return {
    deviceId,
    extension: '100',
    platform: 'android',
    fcmToken: `fcm-${hex(12)}`,
    apnsEnv: 'production',
    lastSeenAt: 1_700_000_000_000,
    ...overrides,
  };
}

function iphone(deviceId: string, overrides: Partial<Device> = {}): Device {
  return {
    deviceId,
    extension: '100',
    platform: 'ios',
    voipToken: hex(32),
    fcmToken: `fcm-${hex(12)}`,
    appId: 'com.example.phone',
    apnsEnv: 'production',
    lastSeenAt: 1_700_000_000_000,
    ...overrides,
  };
}

function browser(deviceId: string, overrides: Partial<Device> = {}): Device {
  return {
    deviceId,
    extension: '100',
    platform: 'web',
    webPush: {
      endpoint: `https://push.example.net/wpush/${hex(16)}`,
      p256dh: `B${hex(20)}`,
      auth: hex(8),
    },
    apnsEnv: 'production',
    lastSeenAt: 1_700_000_000_000,
    ...overrides,
  };
}

function huawei(deviceId: string, overrides: Partial<Device> = {}): Device {
  const { fcmToken: _google, ...phone } = android(deviceId);
  return { ...phone, hmsToken: `hms-${hex(20)}`, ...overrides };
}

export function deviceStoreContract(name: string, make: () => DeviceStore): void {
  describe(`DeviceStore contract: ${name}`, () => {
    let store: DeviceStore;
    let tenant: string;
    beforeEach(() => {
      store = make();
      tenant = `t-${hex(6)}`;
    });

    it('creates, refreshes and finds devices by id, ids and extension', async () => {
      const pixel = android('pixel');
      const phone = iphone('phone');
      assert.deepEqual(await store.upsert(tenant, pixel), { created: true });
      assert.deepEqual(await store.upsert(tenant, { ...pixel, lastSeenAt: 2 }), { created: false });
      await store.upsert(tenant, phone);
      await store.upsert(tenant, android('elsewhere', { extension: '200' }));
      assert.deepEqual(plain(await store.get(tenant, 'pixel')), { ...pixel, lastSeenAt: 2 });
      assert.equal(await store.get(tenant, 'nope'), null);
      assert.deepEqual(
        (await store.getMany(tenant, ['phone', 'nope', 'pixel'])).map(strip).sort(byId),
        [phone, { ...pixel, lastSeenAt: 2 }],
      );
      assert.deepEqual(await store.getMany(tenant, []), []);
      assert.deepEqual((await store.listByExtension(tenant, '100')).map((d) => d.deviceId).sort(), [
        'phone',
        'pixel',
      ]);
    });

    it('keeps tokens unique: a device that loses its last token is gone', async () => {
      const old = android('old');
      const both = iphone('both');
      await store.upsert(tenant, old);
      await store.upsert(tenant, both);
      await store.upsert(tenant, android('new', { fcmToken: old.fcmToken! }));
      assert.equal(await store.get(tenant, 'old'), null);
      await store.upsert(tenant, android('other', { fcmToken: both.fcmToken! }));
      const left = plain(await store.get(tenant, 'both'))!;
      assert.equal(left.fcmToken, undefined);
      assert.equal(left.voipToken, both.voipToken);
    });

    it('keeps Web Push endpoints and HMS tokens unique the same way, keys going with their endpoint', async () => {
      const tab = browser('tab');
      const mate = huawei('mate');
      await store.upsert(tenant, tab);
      await store.upsert(tenant, mate);
      // The same subscription registered again (new keys, as after a browser resubscribe).
      const again = browser('tab-2', {
        webPush: { endpoint: tab.webPush!.endpoint, p256dh: `B${hex(20)}`, auth: hex(8) },
      });
      await store.upsert(tenant, again);
      assert.equal(await store.get(tenant, 'tab'), null);
      assert.deepEqual(plain(await store.get(tenant, 'tab-2'))?.webPush, again.webPush);
      await store.upsert(tenant, huawei('mate-2', { hmsToken: mate.hmsToken! }));
      assert.equal(await store.get(tenant, 'mate'), null);
      await store.dropToken(tenant, 'tab-2', again.webPush!.endpoint);
      assert.equal(await store.get(tenant, 'tab-2'), null);
    });

    it('removes a device of its own extension only', async () => {
      await store.upsert(tenant, android('pixel'));
      assert.equal(await store.remove(tenant, '200', 'pixel'), false);
      assert.equal(await store.remove(tenant, '100', 'nope'), false);
      assert.equal(await store.remove(tenant, '100', 'pixel'), true);
      assert.equal(await store.get(tenant, 'pixel'), null);
    });

    it('drops a token only while the device holds it, and the device with its last token', async () => {
      const phone = iphone('phone');
      await store.upsert(tenant, phone);
      await store.dropToken(tenant, 'phone', 'a-token-it-does-not-hold');
      assert.deepEqual(plain(await store.get(tenant, 'phone')), phone);
      await store.dropToken(tenant, 'phone', phone.voipToken!);
      const left = plain(await store.get(tenant, 'phone'))!;
      assert.equal(left.voipToken, undefined);
      assert.equal(left.fcmToken, phone.fcmToken);
      await store.dropToken(tenant, 'phone', phone.fcmToken!);
      assert.equal(await store.get(tenant, 'phone'), null);
      await store.dropToken(tenant, 'gone', 'x');
    });

    it("corrects a device's APNs environment only while it holds that PushKit token", async () => {
      const phone = iphone('phone');
      await store.upsert(tenant, phone);
      assert.equal(await store.setApnsEnv(tenant, 'phone', phone.voipToken!, 'sandbox'), true);
      assert.equal((await store.get(tenant, 'phone'))?.apnsEnv, 'sandbox');
      assert.equal(await store.setApnsEnv(tenant, 'phone', hex(32), 'production'), false);
      assert.equal((await store.get(tenant, 'phone'))?.apnsEnv, 'sandbox');
      assert.equal(await store.setApnsEnv(tenant, 'nope', phone.voipToken!, 'production'), false);
      assert.equal(await store.get(tenant, 'nope'), null);
    });
  });
}
