import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import {
  collection,
  deleteDoc,
  deleteField,
  doc,
  getDoc,
  getDocs,
  query,
  setDoc,
  updateDoc,
  where,
} from 'firebase/firestore';
import assert from 'node:assert/strict';
import {
  ALICE,
  BOB,
  CAROL,
  DAVE,
  app,
  deviceDoc,
  seedScene,
  useRulesEnv,
  type Scene,
  without,
} from './rulesEnv';

const VOIP = 'ab'.repeat(32);

describe('rules: devices', function () {
  this.timeout(20_000);
  const rulesEnv = useRulesEnv();
  let scene: Scene;

  beforeEach(async () => {
    scene = await seedScene(rulesEnv());
  });

  const device = (uid: string | null, deviceId: string) =>
    doc(app(rulesEnv(), uid), `tenants/${scene.tenant}/devices/${deviceId}`);
  const devices = (uid: string | null) =>
    collection(app(rulesEnv(), uid), `tenants/${scene.tenant}/devices`);

  it('lets members read their extension’s devices, and no one else', async () => {
    await assertSucceeds(getDoc(device(BOB, scene.alicePhone)));
    const listed = await assertSucceeds(
      getDocs(query(devices(ALICE), where('extension', '==', '1001'))),
    );
    assert.equal(listed.size, 4);
    await assertFails(getDoc(device(CAROL, scene.alicePhone)));
    await assertFails(getDocs(query(devices(CAROL), where('extension', '==', '1001'))));
    await assertFails(getDocs(devices(ALICE)));
  });

  it('lets a member register, refresh and move its own devices', async () => {
    const pixel = deviceDoc('pixel', '1001', ALICE);
    await assertSucceeds(setDoc(device(ALICE, 'pixel'), pixel));
    await assertSucceeds(
      setDoc(
        device(ALICE, 'iphone'),
        deviceDoc('iphone', '1001', ALICE, {
          platform: 'ios',
          apnsEnv: 'sandbox',
          voipToken: VOIP,
          appId: 'com.example.sipPhone',
        }),
      ),
    );
    // A VoIP-only iPhone (no FCM token) is a complete device too.
    const bare = without(deviceDoc('ipad', '1001', ALICE), 'fcmToken', 'createdAt');
    await assertSucceeds(
      setDoc(device(ALICE, 'ipad'), {
        ...bare,
        platform: 'ios',
        voipToken: VOIP,
        appId: 'com.example.sipPhone',
      }),
    );
    await assertSucceeds(updateDoc(device(ALICE, 'pixel'), { lastSeenAt: Date.now() }));
    await assertSucceeds(updateDoc(device(ALICE, 'pixel'), { extension: '2002' }));
    await assertSucceeds(updateDoc(device(ALICE, 'iphone'), { fcmToken: deleteField() }));
  });

  it('keeps a user from registering a device to an extension it does not belong to', async () => {
    await assertFails(setDoc(device(CAROL, 'carol-2'), deviceDoc('carol-2', '1001', CAROL)));
    await assertFails(setDoc(device(DAVE, 'dave-2'), deviceDoc('dave-2', '1001', DAVE)));
    await assertFails(setDoc(device(ALICE, 'pixel'), deviceDoc('pixel', '3003', ALICE)));
    await assertFails(setDoc(device(null, 'pixel'), deviceDoc('pixel', '1001', ALICE)));
    // Nor move its own device there.
    await assertFails(updateDoc(device(CAROL, scene.carolPhone), { extension: '1001' }));
  });

  it('keeps a user from taking over a device someone else registered', async () => {
    await assertFails(
      setDoc(device(ALICE, scene.bobPhone), deviceDoc(scene.bobPhone, '1001', ALICE)),
    );
    await assertFails(updateDoc(device(ALICE, scene.bobPhone), { ownerUid: ALICE }));
    await assertFails(updateDoc(device(ALICE, scene.bobPhone), { fcmToken: 'fcm_stolen' }));
    // One the API registered has no owner, so no app user can claim it.
    await assertFails(
      setDoc(device(ALICE, scene.apiPhone), deviceDoc(scene.apiPhone, '1001', ALICE)),
    );
    // Nor register a device in someone else's name, or under another id.
    await assertFails(setDoc(device(ALICE, 'pixel'), deviceDoc('pixel', '1001', BOB)));
    await assertFails(setDoc(device(ALICE, 'pixel'), deviceDoc('other-id', '1001', ALICE)));
    await assertFails(updateDoc(device(ALICE, scene.alicePhone), { ownerUid: BOB }));
  });

  it('accepts only the documented device shape', async () => {
    const ios = (extra: Record<string, unknown>) =>
      deviceDoc('iphone', '1001', ALICE, { platform: 'ios', appId: 'com.example.app', ...extra });
    const mine = device(ALICE, 'iphone');
    const bad: Record<string, unknown>[] = [
      ios({ voipToken: VOIP.toUpperCase() }),
      ios({ voipToken: 'ab'.repeat(31) }),
      ios({ voipToken: 'ab'.repeat(101) }),
      ios({ voipToken: 'xy'.repeat(32) }),
      ios({ voipToken: 42 }),
      deviceDoc('iphone', '1001', ALICE, { voipToken: VOIP }), // voip on android
      deviceDoc('iphone', '1001', ALICE, { pushed: true }),
      deviceDoc('iphone', '1001', ALICE, { deliveries: {} }),
      without(deviceDoc('iphone', '1001', ALICE), 'fcmToken'),
      ...['deviceId', 'extension', 'platform', 'apnsEnv', 'ownerUid', 'lastSeenAt'].map((key) =>
        without(deviceDoc('iphone', '1001', ALICE), key),
      ),
      deviceDoc('iphone', '1001', ALICE, { platform: 'web' }),
      deviceDoc('iphone', '1001', ALICE, { apnsEnv: 'development' }),
      deviceDoc('iphone', '1001', ALICE, { lastSeenAt: '2024-01-01' }),
      deviceDoc('iphone', '1001', ALICE, { createdAt: null }),
      deviceDoc('iphone', '1001', ALICE, { fcmToken: '' }),
      deviceDoc('iphone', '1001', ALICE, { fcmToken: 'x'.repeat(4097) }),
      ios({ voipToken: VOIP, appId: '' }),
      without(ios({ voipToken: VOIP }), 'appId'), // a PushKit token needs its bundle id
      ios({ voipToken: VOIP, appId: 'a'.repeat(151) }),
    ];
    for (const data of bad) await assertFails(setDoc(mine, data));
    await assertSucceeds(setDoc(mine, ios({ voipToken: VOIP, fcmToken: 'x'.repeat(4096) })));
    // The same checks hold on update: the stored result must still be a valid device.
    await assertFails(updateDoc(mine, { voipToken: 'not-hex' }));
    await assertFails(updateDoc(mine, { fcmToken: deleteField(), voipToken: deleteField() }));
    await assertFails(updateDoc(mine, { platform: 'android' }));
    await assertFails(updateDoc(mine, { status: 'dead' }));
  });

  it('lets only the owner delete a device', async () => {
    await assertFails(deleteDoc(device(BOB, scene.alicePhone)));
    await assertFails(deleteDoc(device(ALICE, scene.apiPhone)));
    await assertFails(deleteDoc(device(null, scene.alicePhone)));
    await assertSucceeds(deleteDoc(device(ALICE, scene.alicePhone)));
    // An owner who left the extension can still remove its old phone from it.
    await assertSucceeds(deleteDoc(device(DAVE, scene.davePhone)));
  });
});
