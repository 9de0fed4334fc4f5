import assert from 'node:assert/strict';
import {
  asOf,
  applyAnswer,
  applyExpiry,
  applyPbxCancel,
  applyReceipt,
  PBX_CANCEL_REASONS,
  ringingDevices,
  type Answer,
  type CallPatch,
} from '../../../../functions/core/call/callState';
import type { Call, CallStatus, CancelState } from '../../../../functions/core/model';
import { mergeDeep } from '../../../support/fakes';
import { delivery, NOW, ringingCall } from '../fixtures';

/** Five devices in no particular order: three may ring, two cannot. */
function callWithDeliveries(overrides: Partial<Call> = {}): Call {
  return ringingCall({
    devices: 5,
    pushed: 3,
    deliveries: {
      'e-tablet': delivery('accepted'),
      'c-dead': delivery('dead_token', { reason: 'UNREGISTERED' }),
      'a-pixel': delivery('accepted'),
      'd-failed': delivery('failed', { reason: 'timeout' }),
      'b-iphone': delivery('pending', { platform: 'ios', provider: 'apns', kind: 'voip' }),
    },
    ...overrides,
  });
}

const answer = (overrides: Partial<Answer> = {}): Answer => ({
  action: 'accept',
  deviceId: 'a-pixel',
  uid: 'uid-alice',
  answeredAt: NOW + 4_000,
  ...overrides,
});

/** The call as stored after a patch, merged as Firestore's set-with-merge does. */
function applied(call: Call, patch: CallPatch): Call {
  const next = structuredClone(call);
  mergeDeep(next as unknown as Record<string, unknown>, patch);
  return next;
}

const FINAL: CallStatus[] = ['no_devices', 'accepted', 'declined', 'missed', 'cancelled'];

describe('ringingDevices', () => {
  it('lists devices with an accepted or pending push, sorted, without dead or failed ones', () => {
    assert.deepEqual(ringingDevices(callWithDeliveries()), ['a-pixel', 'b-iphone', 'e-tablet']);
  });

  it('leaves out the excepted device', () => {
    assert.deepEqual(ringingDevices(callWithDeliveries(), 'b-iphone'), ['a-pixel', 'e-tablet']);
  });

  it('is empty for a call without deliveries', () => {
    assert.deepEqual(ringingDevices(ringingCall()), []);
  });
});

describe('applyAnswer', () => {
  const now = NOW + 5_000;

  it('lets the first accept win and cancels every other device that may ring', () => {
    const result = applyAnswer(callWithDeliveries(), answer({ deviceId: 'e-tablet' }), now);
    assert.deepEqual(result, {
      outcome: 'won',
      patch: {
        status: 'accepted',
        endReason: 'answered',
        endedAt: now,
        cancel: {
          state: 'pending',
          reason: 'answered_elsewhere',
          targets: ['a-pixel', 'b-iphone'],
        },
        deliveries: { 'e-tablet': { answer: 'accept', answeredAt: NOW + 4_000 } },
        answeredBy: 'e-tablet',
        answeredAt: NOW + 4_000,
      },
    });
  });

  it('keeps the answering device out of the targets even when it is pending', () => {
    const { patch } = applyAnswer(callWithDeliveries(), answer({ deviceId: 'b-iphone' }), now);
    assert.deepEqual((patch.cancel as CancelState).targets, ['a-pixel', 'e-tablet']);
  });

  it('makes a later accept on the same call late, leaving the winner in place', () => {
    const call = callWithDeliveries();
    const first = applyAnswer(call, answer({ deviceId: 'a-pixel' }), now);
    const afterFirst = applied(call, first.patch);
    const second = applyAnswer(
      afterFirst,
      answer({ deviceId: 'e-tablet', uid: 'uid-bob', answeredAt: NOW + 4_500 }),
      now + 500,
    );
    assert.deepEqual(second, {
      outcome: 'late',
      patch: {
        deliveries: { 'e-tablet': { answer: 'accept', answeredAt: NOW + 4_500, late: true } },
      },
    });
    const stored = applied(afterFirst, second.patch);
    assert.equal(stored.status, 'accepted');
    assert.equal(stored.answeredBy, 'a-pixel');
    assert.ok(!JSON.stringify(stored).includes('uid-'), 'no member reads another uid off the call');
    assert.equal(stored.deliveries['e-tablet']?.status, 'accepted', 'the push record is kept');
    assert.equal(stored.deliveries['e-tablet'].late, true);
    assert.equal(stored.deliveries['a-pixel']?.late, undefined);
  });

  it('declines the call for every device, with no answeredBy', () => {
    const result = applyAnswer(
      callWithDeliveries(),
      answer({ action: 'decline', deviceId: 'a-pixel' }),
      now,
    );
    assert.deepEqual(result, {
      outcome: 'won',
      patch: {
        status: 'declined',
        endReason: 'declined',
        endedAt: now,
        cancel: { state: 'pending', reason: 'declined', targets: ['b-iphone', 'e-tablet'] },
        deliveries: { 'a-pixel': { answer: 'decline', answeredAt: NOW + 4_000 } },
      },
    });
    for (const key of ['answeredBy', 'answeredAt']) {
      assert.equal(key in result.patch, false, key);
    }
  });

  it('makes an answer at or after the deadline of a ringing call late, and the call missed', () => {
    const call = callWithDeliveries();
    for (const at of [call.expiresAt, call.expiresAt + 10_000]) {
      const result = applyAnswer(call, answer({ deviceId: 'e-tablet' }), at);
      assert.deepEqual(result, {
        outcome: 'late',
        patch: {
          status: 'missed',
          endReason: 'timeout',
          endedAt: call.expiresAt,
          cancel: {
            state: 'pending',
            reason: 'timeout',
            targets: ['a-pixel', 'b-iphone', 'e-tablet'],
          },
          deliveries: { 'e-tablet': { answer: 'accept', answeredAt: NOW + 4_000, late: true } },
        },
      });
    }
  });

  it('lets an answer one millisecond before the deadline win', () => {
    const call = callWithDeliveries();
    assert.equal(applyAnswer(call, answer(), call.expiresAt - 1).outcome, 'won');
  });

  for (const status of FINAL) {
    it(`records an answer to a ${status} call as late, touching nothing else`, () => {
      const call = callWithDeliveries({ status });
      for (const action of ['accept', 'decline'] as const) {
        const result = applyAnswer(call, answer({ action, deviceId: 'b-iphone' }), now);
        assert.deepEqual(result, {
          outcome: 'late',
          patch: {
            deliveries: { 'b-iphone': { answer: action, answeredAt: NOW + 4_000, late: true } },
          },
        });
      }
    });
  }
});

describe('applyPbxCancel', () => {
  const now = NOW + 7_000;

  for (const reason of PBX_CANCEL_REASONS.filter((r) => r !== 'timeout')) {
    it(`cancels a ringing call with reason ${reason}, stopping every device that may ring`, () => {
      assert.deepEqual(applyPbxCancel(callWithDeliveries(), reason, now), {
        status: 'cancelled',
        endReason: reason,
        endedAt: now,
        cancel: { state: 'pending', reason, targets: ['a-pixel', 'b-iphone', 'e-tablet'] },
      });
    });
  }

  it('ends a call the PBX gave up on for its ring timeout as missed, as the expiry job does', () => {
    assert.deepEqual(applyPbxCancel(callWithDeliveries(), 'timeout', now), {
      status: 'missed',
      endReason: 'timeout',
      endedAt: now,
      cancel: {
        state: 'pending',
        reason: 'timeout',
        targets: ['a-pixel', 'b-iphone', 'e-tablet'],
      },
    });
  });

  it('finds a call it cancels after the deadline missed, ended at the deadline', () => {
    const call = callWithDeliveries();
    const patch = applyPbxCancel(call, 'hangup', call.expiresAt + 2_000);
    assert.deepEqual(patch, applyExpiry(call, call.expiresAt));
  });

  it('is idempotent: a cancelled call is not cancelled again', () => {
    const call = callWithDeliveries();
    const first = applyPbxCancel(call, 'hangup', now);
    assert.ok(first);
    assert.equal(applyPbxCancel(applied(call, first), 'hangup', now + 1), null);
  });

  for (const status of FINAL) {
    it(`changes nothing on a ${status} call`, () => {
      assert.equal(applyPbxCancel(callWithDeliveries({ status }), 'hangup', now), null);
    });
  }
});

describe('applyExpiry', () => {
  const call = callWithDeliveries();

  it('leaves a call alone before its deadline', () => {
    assert.equal(applyExpiry(call, call.expiresAt - 1), null);
  });

  it('makes a ringing call missed (timeout) once the deadline is reached', () => {
    const expected = {
      status: 'missed',
      endReason: 'timeout',
      endedAt: call.expiresAt,
      cancel: { state: 'pending', reason: 'timeout', targets: ['a-pixel', 'b-iphone', 'e-tablet'] },
    };
    assert.deepEqual(applyExpiry(call, call.expiresAt), expected);
    // Whenever it is written, the call ended at its deadline.
    assert.deepEqual(applyExpiry(call, call.expiresAt + 60_000), expected);
  });

  for (const status of FINAL) {
    it(`leaves a ${status} call alone even long past its deadline`, () => {
      assert.equal(applyExpiry(callWithDeliveries({ status }), call.expiresAt + 60_000), null);
    });
  }

  it('expires a call only once', () => {
    const patch = applyExpiry(call, call.expiresAt);
    assert.ok(patch);
    assert.equal(applyExpiry(applied(call, patch), call.expiresAt + 1), null);
  });
});

describe('applyReceipt', () => {
  it("fills in the device's delivered time", () => {
    assert.deepEqual(applyReceipt(callWithDeliveries(), 'b-iphone', NOW + 900), {
      deliveries: { 'b-iphone': { deliveredAt: NOW + 900 } },
    });
  });

  it('keeps the first receipt: a second one changes nothing', () => {
    const call = callWithDeliveries();
    const first = applyReceipt(call, 'b-iphone', NOW + 900);
    assert.ok(first);
    const stored = applied(call, first);
    assert.equal(stored.deliveries['b-iphone']?.deliveredAt, NOW + 900);
    assert.equal(stored.deliveries['b-iphone'].status, 'pending', 'the push record is kept');
    assert.equal(applyReceipt(stored, 'b-iphone', NOW + 2_000), null);
  });

  it('keeps a delivered time of 0 as set', () => {
    const call = callWithDeliveries();
    call.deliveries['a-pixel'] = delivery('accepted', { deliveredAt: 0 });
    assert.equal(applyReceipt(call, 'a-pixel', NOW), null);
  });

  it('ignores a device the call was never pushed to', () => {
    assert.equal(applyReceipt(callWithDeliveries(), 'stranger', NOW + 900), null);
  });

  it('still records a receipt that arrives after the call ended', () => {
    assert.deepEqual(applyReceipt(callWithDeliveries({ status: 'accepted' }), 'a-pixel', NOW), {
      deliveries: { 'a-pixel': { deliveredAt: NOW } },
    });
  });
});

describe('asOf', () => {
  it('shows a ringing call past its deadline as missed at the deadline, without writing', () => {
    const call = callWithDeliveries();
    assert.equal(asOf(call, call.expiresAt - 1), call);
    assert.deepEqual(asOf(call, call.expiresAt), {
      ...call,
      status: 'missed',
      endReason: 'timeout',
      endedAt: call.expiresAt,
    });
    assert.equal(call.status, 'ringing');
  });

  it('leaves an ended call as it ended', () => {
    const call = callWithDeliveries({ status: 'accepted' });
    assert.equal(asOf(call, call.expiresAt + 60_000), call);
  });
});
