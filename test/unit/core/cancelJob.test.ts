import assert from 'node:assert/strict';
import type { CancelState } from '../../../functions/core/callState';
import {
  cancelWaitUntil,
  finishCancelPatch,
  followUpPatch,
  IN_FLIGHT_MS,
  leaseCancel,
} from '../../../functions/core/cancelJob';
import type { DeliveryResult } from '../../../functions/core/deliver';
import type { Call, Delivery } from '../../../functions/core/model';
import { applyPatch } from '../../../functions/core/patch';
import { NOW, ringingCall } from './fixtures';

const now = NOW + 10_000;
const pending: CancelState = { state: 'pending', reason: 'hangup', targets: ['a-pixel'] };
const delivery = (status: Delivery['status']): Delivery => ({
  platform: 'android',
  provider: 'fcm',
  kind: 'data',
  status,
  attempts: 1,
});
const accepted: DeliveryResult = { status: 'accepted', attempts: 1, pushedAt: now, settledAt: now };

function ended(cancel: CancelState, deliveries: Record<string, Delivery> = {}): Call {
  return ringingCall({
    status: 'cancelled',
    endReason: 'hangup',
    endedAt: NOW + 5_000,
    cancel,
    deliveries,
    fanOut: { leaseUntil: NOW + 2_500, holder: 'creator' },
  });
}

describe('leaseCancel', () => {
  it('takes a pending job: sending, leased until now + leaseMs, and when it was taken', () => {
    assert.deepEqual(leaseCancel(pending, now, 60_000), {
      state: 'sending',
      reason: 'hangup',
      targets: ['a-pixel'],
      leaseUntil: now + 60_000,
      takenAt: now,
    });
  });

  it('leaves a job another run holds under a live lease', () => {
    const sending: CancelState = { ...pending, state: 'sending', leaseUntil: now + 1 };
    assert.equal(leaseCancel(sending, now, 60_000), null);
    assert.equal(cancelWaitUntil(sending, now), now + 1);
  });

  it('retakes a job whose lease expired (the run that took it died)', () => {
    const sending: CancelState = { ...pending, state: 'sending', leaseUntil: now - 1 };
    assert.deepEqual(leaseCancel(sending, now, 60_000), {
      ...pending,
      state: 'sending',
      leaseUntil: now + 60_000,
      takenAt: now,
    });
  });

  it('leaves a round that is not due yet, and takes it once it is', () => {
    const waiting: CancelState = { ...pending, notBefore: now + 500 };
    assert.equal(leaseCancel(waiting, now, 60_000), null);
    assert.equal(cancelWaitUntil(waiting, now), now + 500);
    assert.equal(leaseCancel(waiting, now + 500, 60_000)?.state, 'sending');
  });

  it('leaves a sent job, and a call without one', () => {
    const sent: CancelState = { ...pending, state: 'sent', leaseUntil: now - 1, sentAt: now - 2 };
    assert.equal(leaseCancel(sent, now, 60_000), null);
    assert.equal(leaseCancel(undefined, now, 60_000), null);
  });
});

describe('finishCancelPatch', () => {
  const sending = (extra: Partial<CancelState> = {}): CancelState => ({
    ...pending,
    state: 'sending',
    leaseUntil: now + 15_000,
    takenAt: now,
    ...extra,
  });

  it('marks the job sent when every target push is recorded and nobody is owed a follow-up', () => {
    const call = ended(sending(), { 'a-pixel': delivery('accepted') });
    assert.deepEqual(finishCancelPatch(call, 0, { 'a-pixel': accepted }, now + 5), {
      cancels: { 'a-pixel': accepted },
      cancel: { state: 'sent', sentAt: now + 5 },
    });
  });

  it('opens a follow-up round for devices owed one while it was being sent', () => {
    const call = ended(sending({ more: ['b-tablet'] }), { 'a-pixel': delivery('accepted') });
    const patch = finishCancelPatch(call, 0, {}, now + 5);
    assert.deepEqual(applyPatch(call, patch).cancel, {
      ...sending(),
      state: 'pending',
      targets: ['b-tablet'],
      more: [],
      round: 1,
      notBefore: 0,
      afterInFlight: false,
    });
  });

  it('sends once more, after the fan-out lease lapsed, to targets whose push is unrecorded', () => {
    // The push may be in flight from a request that died before recording it.
    const taken = NOW + 1_000;
    const call = ended(sending({ takenAt: taken }), { 'a-pixel': delivery('pending') });
    const job = applyPatch(call, finishCancelPatch(call, 0, {}, taken + 50)).cancel!;
    assert.deepEqual(
      [job.state, job.targets, job.round, job.notBefore, job.afterInFlight],
      ['pending', ['a-pixel'], 1, NOW + 2_500 + IN_FLIGHT_MS, true],
    );
    // That round, once sent, is the last for them.
    const after = ended({ ...job, state: 'sending', takenAt: job.notBefore! }, call.deliveries);
    assert.equal(applyPatch(after, finishCancelPatch(after, 1, {}, now)).cancel?.state, 'sent');
  });

  it('needs no extra round when it began after the lease had lapsed', () => {
    const call = ended(sending({ takenAt: NOW + 2_500 + IN_FLIGHT_MS }), {
      'a-pixel': delivery('pending'),
    });
    assert.equal(applyPatch(call, finishCancelPatch(call, 0, {}, now)).cancel?.state, 'sent');
  });

  it('only records outcomes for a round another run has moved past', () => {
    const call = ended({ ...pending, state: 'sent', round: 0 });
    assert.deepEqual(finishCancelPatch(call, 0, { 'a-pixel': accepted }, now), {
      cancels: { 'a-pixel': accepted },
    });
  });
});

describe('followUpPatch', () => {
  it('adds a device to a pending round, owes it after a round being sent, reopens a sent job', () => {
    assert.deepEqual(followUpPatch(ended(pending), ['b-tablet']), {
      cancel: { targets: ['a-pixel', 'b-tablet'] },
    });
    assert.equal(followUpPatch(ended(pending), ['a-pixel']), null, 'already a target');
    assert.deepEqual(followUpPatch(ended({ ...pending, state: 'sending' }), ['a-pixel']), {
      cancel: { more: ['a-pixel'] },
    });
    assert.deepEqual(followUpPatch(ended({ ...pending, state: 'sent', round: 2 }), ['a-pixel']), {
      cancel: {
        state: 'pending',
        targets: ['a-pixel'],
        more: [],
        round: 3,
        notBefore: 0,
        afterInFlight: false,
      },
    });
  });

  it('asks nothing of a call that still rings', () => {
    assert.equal(followUpPatch(ringingCall(), ['a-pixel']), null);
  });
});
