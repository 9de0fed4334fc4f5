import assert from 'node:assert/strict';
import {
  actorOf,
  addsToCounts,
  capExceeded,
  defaultDeviceCaps,
  deviceChangeRefusal,
  deviceOwner,
  extensionsAtStake,
  refusalError,
  tokenConflict,
  tokenInUseError,
  tokenMoves,
  type DeviceActor,
} from '../../../../functions/core/devices/deviceAccess';
import type { Device } from '../../../../functions/core/model';

const device = (extension: string, ownerUid?: string): Device => ({
  deviceId: 'phone',
  extension,
  platform: 'android',
  fcmToken: 'fcm-token',
  apnsEnv: 'production',
  lastSeenAt: 0,
  ...(ownerUid ? { ownerUid } : {}),
});

const PBX: DeviceActor = { kind: 'pbx' };
const ALICE: DeviceActor = { kind: 'member', uid: 'alice' };
const memberOf = (...extensions: string[]) => new Set(extensions);

describe('deviceAccess: who may change a device', () => {
  it('tells the actor from the device written: its owner, else the PBX', () => {
    assert.deepEqual(actorOf(device('100', 'alice')), ALICE);
    assert.deepEqual(actorOf(device('100')), PBX);
  });

  it('lets the PBX change or delete any device of its tenant', () => {
    for (const current of [null, device('100'), device('100', 'alice')]) {
      assert.equal(deviceChangeRefusal(PBX, current, '200', memberOf()), null);
      assert.equal(deviceChangeRefusal(PBX, current, null, memberOf()), null);
    }
  });

  it('lets a member register a new device, or change its own, on its extensions', () => {
    assert.equal(deviceChangeRefusal(ALICE, null, '100', memberOf('100')), null);
    assert.equal(deviceChangeRefusal(ALICE, device('100', 'alice'), '100', memberOf('100')), null);
    assert.equal(
      deviceChangeRefusal(ALICE, device('100', 'alice'), '200', memberOf('100', '200')),
      null,
    );
    assert.equal(deviceChangeRefusal(ALICE, device('100', 'alice'), null, memberOf('100')), null);
  });

  it("refuses a member another user's device, and one the PBX registered", () => {
    for (const current of [device('100', 'bob'), device('100'), device('200')]) {
      assert.deepEqual(deviceChangeRefusal(ALICE, current, '100', memberOf('100', '200')), {
        reason: 'not_owner',
      });
      assert.deepEqual(deviceChangeRefusal(ALICE, current, null, memberOf('100', '200')), {
        reason: 'not_owner',
      });
    }
  });

  it('refuses a member an extension it is not a member of, old or new', () => {
    assert.deepEqual(deviceChangeRefusal(ALICE, null, '200', memberOf('100')), {
      reason: 'not_member',
      extension: '200',
    });
    // Its own device, moved to an extension it does not belong to.
    assert.deepEqual(deviceChangeRefusal(ALICE, device('100', 'alice'), '200', memberOf('100')), {
      reason: 'not_member',
      extension: '200',
    });
    // Its own device, left on an extension it no longer belongs to.
    assert.deepEqual(deviceChangeRefusal(ALICE, device('300', 'alice'), '100', memberOf('100')), {
      reason: 'not_member',
      extension: '300',
    });
    assert.deepEqual(deviceChangeRefusal(ALICE, device('300', 'alice'), null, memberOf()), {
      reason: 'not_member',
      extension: '300',
    });
  });

  it('names the extensions whose membership matters, once each', () => {
    assert.deepEqual(extensionsAtStake(null, '100'), ['100']);
    assert.deepEqual(extensionsAtStake(device('100'), '100'), ['100']);
    assert.deepEqual(extensionsAtStake(device('100'), '200'), ['100', '200']);
    assert.deepEqual(extensionsAtStake(device('100'), null), ['100']);
  });

  it('answers 403 with a message that names no one', () => {
    const owner = refusalError('phone', { reason: 'not_owner' });
    assert.equal(owner.status, 403);
    assert.doesNotMatch(owner.message, /alice|bob/);
    assert.equal(
      owner.message,
      'Device phone is registered by another user or by the PBX; use your own device id.',
    );
    assert.equal(
      refusalError('phone', { reason: 'not_member', extension: '200' }).message,
      'You are not a member of extension 200.',
    );
  });
});

describe('deviceAccess: who owns a push token, and the caps', () => {
  const holder = (tenant: string, deviceId: string, ownerUid?: string) => ({
    tenant,
    device: { ...device('100', ownerUid), deviceId },
  });
  const written = (deviceId: string, ownerUid?: string) => ({
    ...device('100', ownerUid),
    deviceId,
  });

  it("names a device's owner across the deployment: its user in any tenant, or one tenant's PBX", () => {
    assert.equal(deviceOwner('acme', { ownerUid: 'alice' }), 'user:alice');
    assert.equal(deviceOwner('globex', { ownerUid: 'alice' }), 'user:alice');
    assert.equal(deviceOwner('acme', {}), 'pbx:acme');
    assert.notEqual(deviceOwner('acme', {}), deviceOwner('globex', {}));
  });

  it('moves a token from the same owner’s other device (a reinstall), in the same tenant only', () => {
    const holders = [
      holder('acme', 'old-phone', 'alice'),
      holder('globex', 'work-phone', 'alice'),
      holder('acme', 'new-phone', 'alice'),
    ];
    const phone = written('new-phone', 'alice');
    assert.equal(tokenConflict('acme', phone, holders), null);
    assert.deepEqual(
      tokenMoves('acme', phone, holders).map((d) => d.deviceId),
      ['old-phone'],
      'not itself, not the same user’s device in another tenant',
    );
    const desk = written('desk-2');
    assert.equal(tokenConflict('acme', desk, [holder('acme', 'desk-1')]), null);
  });

  it('refuses a token another owner holds: another user, the PBX, another tenant’s PBX', () => {
    const mallory = written('mallory-phone', 'mallory');
    for (const h of [
      holder('acme', 'alice-phone', 'alice'),
      holder('acme', 'desk'),
      holder('globex', 'desk'),
    ]) {
      assert.deepEqual(tokenConflict('acme', mallory, [h]), h);
    }
    assert.ok(tokenConflict('acme', written('desk'), [holder('acme', 'alice-phone', 'alice')]));
    assert.ok(tokenConflict('acme', written('desk'), [holder('globex', 'desk')]));
    assert.equal(tokenInUseError().code, 'token_in_use');
    assert.equal(tokenInUseError().status, 409);
    // What the caller reads names neither the other device nor its owner.
    assert.match(
      tokenInUseError().message,
      /^This push token is registered on a device of another user or PBX/,
    );
  });

  it('holds only what adds to a count to the caps, and counts app users’ and the PBX’s devices apart', () => {
    const caps = { appPerExtension: 2, pbxPerExtension: 1, perUser: 3 };
    const full = { appOnExtension: 2, pbxOnExtension: 1, ofUser: 3 };
    const none = { appOnExtension: 0, pbxOnExtension: 0, ofUser: 0 };
    const alices = device('100', 'alice');
    // A refresh of the same device, owner and extension adds nothing: always through.
    assert.equal(addsToCounts(alices, alices), false);
    assert.equal(capExceeded(alices, alices, full, caps), null);
    assert.equal(capExceeded(null, alices, { ...none, ofUser: 3 }, caps), 'devices_per_user');
    assert.equal(
      capExceeded(null, alices, { ...none, appOnExtension: 2 }, caps),
      'app_devices_per_extension',
    );
    assert.equal(capExceeded(null, alices, { ...none, pbxOnExtension: 9 }, caps), null);
    // Moved to another extension: counted there, not again for the user.
    assert.equal(capExceeded(alices, device('200', 'alice'), { ...none, ofUser: 3 }, caps), null);
    assert.equal(
      capExceeded(alices, device('200', 'alice'), { ...none, appOnExtension: 2 }, caps),
      'app_devices_per_extension',
    );
    const desk = device('100');
    assert.equal(capExceeded(null, desk, { ...none, appOnExtension: 9 }, caps), null);
    assert.equal(capExceeded(null, desk, full, caps), 'pbx_devices_per_extension');
    assert.equal(
      capExceeded(alices, desk, { ...none, pbxOnExtension: 1 }, caps),
      'pbx_devices_per_extension',
    );
  });

  it('takes the caps from the tenant’s document where it sets them, within their bounds', () => {
    assert.deepEqual(defaultDeviceCaps(), {
      appPerExtension: 20,
      pbxPerExtension: 20,
      perUser: 10,
    });
    assert.deepEqual(
      defaultDeviceCaps({ limits: { app_devices_per_extension: 3, devices_per_user: 1_000 } }),
      { appPerExtension: 3, pbxPerExtension: 20, perUser: 1_000 },
    );
    assert.equal(
      defaultDeviceCaps({ limits: { pbx_devices_per_extension: 5_000 } }).pbxPerExtension,
      200,
      'the call record stays small',
    );
    assert.equal(
      defaultDeviceCaps({ limits: { app_devices_per_extension: -1 } }).appPerExtension,
      20,
    );
  });
});
