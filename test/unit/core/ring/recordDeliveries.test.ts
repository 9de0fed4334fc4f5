import assert from 'node:assert/strict';
import { applyPbxCancel, ringingDevices } from '../../../../functions/core/call/callState';
import { applyDeliveries } from '../../../../functions/core/ring/recordDeliveries';
import type { Call, Delivery, DeliveryResult } from '../../../../functions/core/model';
import {
  needsFanOut,
  renewFanOutLease,
  takeFanOutLease,
} from '../../../../functions/core/ring/fanOutLease';
import { applyPatch } from '../../../../functions/core/call/patch';
import { NOW, ringingCall } from '../fixtures';

const delivery = (status: Delivery['status'], extra: Partial<Delivery> = {}): Delivery => ({
  platform: 'android',
  provider: 'fcm',
  kind: 'data',
  status,
  attempts: 0,
  ...extra,
});
const result = (status: DeliveryResult['status'], reason?: string): DeliveryResult => ({
  status,
  attempts: 1,
  pushedAt: NOW,
  settledAt: NOW + 40,
  ...(reason ? { reason } : {}),
});
const call = (deliveries: Record<string, Delivery>, extra: Partial<Call> = {}): Call =>
  ringingCall({
    deliveries,
    fanOut: { holder: 'me', takenAt: NOW, leaseUntil: NOW + 2_500 },
    ...extra,
  });
const after = (c: Call, results: Record<string, DeliveryResult>, from = {}) =>
  applyPatch(c, applyDeliveries(c, results, from));

describe('applyDeliveries', () => {
  it('records each outcome and counts the accepted pushes', () => {
    const c = after(call({ a: delivery('pending'), b: delivery('pending') }), {
      a: result('accepted'),
      b: result('failed', 'INVALID_ARGUMENT'),
    });
    assert.equal(c.pushed, 1);
    assert.equal(c.deliveries.a?.status, 'accepted');
    assert.equal(c.deliveries.b?.reason, 'INVALID_ARGUMENT');
  });

  it('keeps the outcome that says more about whether the phone rang', () => {
    const c = after(call({ a: delivery('accepted', { settledAt: NOW }) }), { a: result('failed') });
    assert.equal(c.deliveries.a?.status, 'accepted');
  });

  it('takes a refusal as unknown from a resumed run, or once another request holds the lease', () => {
    const pending = call({ a: delivery('pending') });
    assert.equal(
      after(pending, { a: result('failed') }, { holder: 'me' }).deliveries.a?.status,
      'failed',
    );
    assert.equal(
      after(pending, { a: result('failed') }, { holder: 'other' }).deliveries.a?.status,
      'unknown',
    );
    assert.equal(
      after(pending, { a: result('dead_token') }, { holder: 'me', resumed: true }).deliveries.a
        ?.status,
      'unknown',
    );
  });

  it('owes a device whose push may have rung a cancel when the call ended meanwhile', () => {
    const ringing = call({ a: delivery('pending'), b: delivery('pending') });
    const ended = applyPatch(ringing, applyPbxCancel(ringing, 'hangup', NOW + 10));
    const sent = applyPatch(ended, { cancel: { state: 'sent' } });
    const recorded = after(sent, { a: result('accepted'), b: result('failed') }, { holder: 'me' });
    assert.deepEqual(
      [recorded.cancel?.state, recorded.cancel?.targets, recorded.cancel?.round],
      ['pending', ['a'], 1],
    );
  });

  it('owes nothing to a device the call never planned, whatever a push result says', () => {
    const ringing = call({ a: delivery('pending') });
    const ended = applyPatch(ringing, applyPbxCancel(ringing, 'hangup', NOW + 10));
    const sent = applyPatch(ended, { cancel: { state: 'sent' } });
    const recorded = after(
      sent,
      { a: result('accepted'), ghost: result('accepted') },
      { holder: 'me' },
    );
    assert.deepEqual(recorded.cancel?.targets, ['a']);
    assert.equal(recorded.deliveries.ghost, undefined);
  });

  it('owes no follow-up when the round being sent was taken after the provider took the push', () => {
    const ringing = call({ a: delivery('pending'), b: delivery('pending') });
    const ended = applyPatch(ringing, applyPbxCancel(ringing, 'hangup', NOW + 10));
    // Taken 2 s after the pushes were accepted (NOW + 40): its cancels come after them...
    const early = applyPatch(ended, {
      cancel: { state: 'sending', takenAt: NOW + 2_040, leaseUntil: NOW + 20_000 },
    });
    assert.equal(after(early, { a: result('accepted') }).cancel?.more, undefined);
    const sent = applyPatch(early, { cancel: { state: 'sent' } });
    assert.deepEqual(after(sent, { a: result('accepted') }).cancel, sent.cancel, 'nor once sent');
    // ...but not when the clocks of two instances could put it before them, nor for an
    // unanswered push (the provider may take it any time), nor for a device it does not target.
    const close = applyPatch(ended, {
      cancel: { state: 'sending', takenAt: NOW + 1_040, leaseUntil: NOW + 20_000 },
    });
    assert.deepEqual(after(close, { a: result('accepted') }).cancel?.more, ['a']);
    assert.deepEqual(after(early, { b: result('unknown') }).cancel?.more, ['b']);
    const other = applyPatch(early, { cancel: { targets: ['b'] } });
    assert.deepEqual(after(other, { a: result('accepted') }).cancel?.more, ['a']);
  });

  it('owes nothing while the call rings, or to a device that answered', () => {
    const ringing = call({ a: delivery('pending') });
    assert.equal(after(ringing, { a: result('accepted') }).cancel, undefined);
    const answered = call({ a: delivery('pending', { answer: 'accept' }) }, { status: 'accepted' });
    assert.equal(after(answered, { a: result('accepted') }).cancel, undefined);
  });

  it('counts an unknown push among the devices a cancel must reach', () => {
    assert.deepEqual(ringingDevices(call({ a: delivery('unknown'), b: delivery('failed') })), [
      'a',
    ]);
  });
});

describe('the fan-out lease', () => {
  const c = call({ a: delivery('pending') });

  it('is taken only once lapsed, while the call rings with time and pushes left', () => {
    assert.equal(takeFanOutLease(c, NOW + 2_000, 2_500, 'next'), null);
    assert.deepEqual(takeFanOutLease(c, NOW + 2_500, 2_500, 'next'), {
      fanOut: { holder: 'next', takenAt: NOW + 2_500, leaseUntil: NOW + 5_000 },
    });
    assert.equal(needsFanOut(c, c.expiresAt - 100), false, 'too close to the deadline');
    assert.equal(needsFanOut({ ...c, status: 'cancelled' }, NOW), false);
    assert.equal(needsFanOut(call({ a: delivery('accepted') }), NOW), false);
  });

  it('is renewed by its holder only', () => {
    assert.deepEqual(renewFanOutLease(c, NOW + 1_000, 2_500, 'me'), {
      fanOut: { leaseUntil: NOW + 3_500 },
    });
    assert.equal(renewFanOutLease(c, NOW + 1_000, 2_500, 'other'), null);
  });
});

describe('applyDeliveries: what it writes', () => {
  it('writes nothing when no outcome says more than the record, and no follow-up is owed', () => {
    const recorded = call({ a: delivery('accepted', { settledAt: NOW }) });
    assert.equal(applyDeliveries(recorded, { a: result('failed') }), null);
    assert.equal(applyDeliveries(recorded, { a: result('accepted') }), null);
  });

  it('replaces an outcome of the same rank only when the record never settled', () => {
    const unsettled = call({ a: delivery('failed', { reason: 'old' }) });
    assert.equal(after(unsettled, { a: result('failed', 'new') }).deliveries.a?.reason, 'new');
    const settled = call({ a: delivery('failed', { reason: 'old', settledAt: NOW }) });
    assert.equal(applyDeliveries(settled, { a: result('failed', 'new') }), null);
  });

  it('replaces a settled outcome with one that says more, whatever order they land in', () => {
    const refused = call({ a: delivery('failed', { reason: 'old', settledAt: NOW }) });
    const rang = after(refused, { a: result('accepted') });
    assert.equal(rang.deliveries.a?.status, 'accepted');
    assert.equal(rang.pushed, 1);
  });

  it('adds a device to a pending round whatever the provider says, since it is not sent yet', () => {
    const ringing = call({ a: delivery('pending'), b: delivery('pending') });
    const ended = applyPatch(ringing, applyPbxCancel(ringing, 'hangup', NOW + 10));
    const pending = applyPatch(ended, { cancel: { targets: ['b'], takenAt: NOW + 5_000 } });
    assert.deepEqual(after(pending, { a: result('accepted') }).cancel?.targets, ['a', 'b']);
  });
});
