import assert from 'node:assert/strict';
import {
  actorOf,
  deviceChangeRefusal,
  extensionsAtStake,
  refusalError,
  type DeviceActor,
} from '../../../functions/core/deviceAccess';
import type { Device } from '../../../functions/core/model';

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

  it("refuses a member another user's device, and one the PBX registered (finding 1)", () => {
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
