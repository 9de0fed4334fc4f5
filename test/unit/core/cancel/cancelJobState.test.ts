import assert from 'node:assert/strict';
import type { Call, CancelState, Delivery, DeliveryResult } from '../../../../functions/core/model';
import {
  CANCEL_BUDGET_MS,
  CANCEL_RETRY_MS,
  cancelBusy,
  cancelRetryUntil,
  cancelWaitUntil,
  finishCancelPatch,
  followUpPatch,
  IN_FLIGHT_MS,
  leaseCancel,
} from '../../../../functions/core/cancel/cancelJobState';
import { applyPatch } from '../../../../functions/core/call/patch';
import { NOW, ringingCall } from '../fixtures';

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
    fanOut: { holder: 'creator', takenAt: NOW, leaseUntil: NOW + 2_500 },
  });
}

describe('leaseCancel', () => {
  it('takes a pending job: sending, leased until now + leaseMs, and when it was taken', () => {
    assert.deepEqual(leaseCancel(pending, now, 60_000, 'run'), {
      state: 'sending',
      reason: 'hangup',
      targets: ['a-pixel'],
      holder: 'run',
      takenAt: now,
      leaseUntil: now + 60_000,
    });
  });

  it('leaves a job another run holds under a live lease', () => {
    const sending: CancelState = { ...pending, state: 'sending', leaseUntil: now + 1 };
    assert.equal(leaseCancel(sending, now, 60_000, 'run'), null);
    assert.equal(cancelWaitUntil(sending, now), now + 1);
  });

  it('retakes a job whose lease expired (the run that took it died)', () => {
    const sending: CancelState = { ...pending, state: 'sending', leaseUntil: now - 1 };
    assert.deepEqual(leaseCancel(sending, now, 60_000, 'run'), {
      ...pending,
      state: 'sending',
      holder: 'run',
      takenAt: now,
      leaseUntil: now + 60_000,
    });
  });

  it("takes over a dead run's round with the devices owed a follow-up meanwhile in it", () => {
    // Their pushes were recorded while the dead run held it: this round's cancels follow them.
    const held: CancelState = {
      ...pending,
      state: 'sending',
      leaseUntil: now - 1,
      takenAt: now - 15_001,
      more: ['b-tablet'],
    };
    assert.deepEqual(leaseCancel(held, now, 60_000, 'run'), {
      ...pending,
      state: 'sending',
      targets: ['a-pixel', 'b-tablet'],
      more: [],
      holder: 'run',
      takenAt: now,
      leaseUntil: now + 60_000,
    });
  });

  it('leaves a round that is not due yet, and takes it once it is', () => {
    const waiting: CancelState = { ...pending, notBefore: now + 500 };
    assert.equal(leaseCancel(waiting, now, 60_000, 'run'), null);
    assert.equal(cancelWaitUntil(waiting, now), now + 500);
    assert.equal(leaseCancel(waiting, now + 500, 60_000, 'run')?.state, 'sending');
  });

  it('leaves a sent job, and a call without one', () => {
    const sent: CancelState = { ...pending, state: 'sent', leaseUntil: now - 1, sentAt: now - 2 };
    assert.equal(leaseCancel(sent, now, 60_000, 'run'), null);
    assert.equal(leaseCancel(undefined, now, 60_000, 'run'), null);
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

  it('sends again, a little later, to targets whose cancel no provider took, and not to a refused one', () => {
    const outcome = (status: DeliveryResult['status'], extra: Partial<DeliveryResult> = {}) => ({
      status,
      attempts: 5,
      pushedAt: now,
      settledAt: now,
      ...extra,
    });
    const targets = ['a-pixel', 'b-never-left', 'c-busy', 'd-unanswered', 'e-refused', 'f-dead'];
    const call = ended(sending({ targets }));
    const results: Record<string, DeliveryResult> = {
      'a-pixel': accepted,
      'b-never-left': outcome('failed', { reason: 'access_token_error' }),
      'c-busy': outcome('failed', { providerStatus: 503, reason: 'UNAVAILABLE' }),
      'd-unanswered': outcome('unknown', { reason: 'timeout' }),
      'e-refused': outcome('failed', { providerStatus: 400, reason: 'INVALID_ARGUMENT' }),
      'f-dead': outcome('dead_token', { providerStatus: 404, reason: 'UNREGISTERED' }),
    };
    const job = applyPatch(call, finishCancelPatch(call, 0, results, now)).cancel!;
    assert.deepEqual(
      [job.state, job.targets, job.round, job.notBefore, job.afterInFlight],
      ['pending', ['b-never-left', 'c-busy', 'd-unanswered'], 1, now + CANCEL_RETRY_MS, false],
    );
    assert.equal(cancelWaitUntil(job, now), now + CANCEL_RETRY_MS, 'not taken before it is due');
  });

  it('stops retrying when the phone would stop ringing on its own: at the ring deadline', () => {
    const call = ended(sending());
    const failed = { ...accepted, status: 'failed' as const, reason: 'access_token_error' };
    assert.equal(cancelRetryUntil(call), call.expiresAt);
    const before = call.expiresAt - CANCEL_RETRY_MS - 1;
    const last = applyPatch(call, finishCancelPatch(call, 0, { 'a-pixel': failed }, before));
    assert.equal(last.cancel?.state, 'pending');
    const at = call.expiresAt - CANCEL_RETRY_MS;
    const done = applyPatch(call, finishCancelPatch(call, 0, { 'a-pixel': failed }, at));
    assert.equal(done.cancel?.state, 'sent');
  });

  it("gives a call that ended at its deadline one round's budget of retries (the missed-call notice)", () => {
    const call = { ...ended(sending()), endedAt: NOW + 30_000 };
    assert.equal(cancelRetryUntil(call), NOW + 30_000 + CANCEL_BUDGET_MS);
  });

  it('only records outcomes for a round another run has moved past', () => {
    const call = ended({ ...pending, state: 'sent', round: 0 });
    assert.deepEqual(finishCancelPatch(call, 0, { 'a-pixel': accepted }, now), {
      cancels: { 'a-pixel': accepted },
    });
    // Another run is sending round 1: a late finish of round 0 neither closes nor advances it.
    const next = ended(sending({ round: 1 }));
    assert.deepEqual(finishCancelPatch(next, 0, { 'a-pixel': accepted }, now), {
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

describe('the cancel job, at its edges', () => {
  it('is not busy once sent, whatever its last round waited for', () => {
    assert.equal(cancelWaitUntil({ ...pending, state: 'sent', notBefore: now + 5_000 }, now), null);
    assert.equal(cancelBusy({ ...pending, state: 'sent', notBefore: now + 5_000 }, now), false);
  });

  it('counts a lease as held until its end and free from it, a round as due at its time', () => {
    // The fan-out lease's rule too (core/call/lease.ts).
    const sending: CancelState = { ...pending, state: 'sending', leaseUntil: now + 1 };
    assert.equal(cancelWaitUntil(sending, now), now + 1);
    assert.equal(cancelBusy(sending, now), true);
    assert.equal(cancelWaitUntil({ ...sending, leaseUntil: now }, now), null);
    assert.equal(cancelBusy({ ...sending, leaseUntil: now }, now), false);
    assert.equal(cancelWaitUntil({ ...pending, notBefore: now }, now), null);
    assert.equal(cancelWaitUntil({ ...pending, notBefore: now + 1 }, now), now + 1);
    assert.equal(cancelBusy(undefined, now), false);
  });

  it('keeps a round sorted, whatever order devices are owed in', () => {
    const patch = followUpPatch(ended(pending), ['c-phone', 'b-tablet']);
    assert.deepEqual(patch, { cancel: { targets: ['a-pixel', 'b-tablet', 'c-phone'] } });
  });

  it('writes nothing when a device is already owed a follow-up', () => {
    const sending: CancelState = { ...pending, state: 'sending', more: ['b-tablet'] };
    assert.equal(followUpPatch(ended(sending), ['b-tablet']), null);
    assert.deepEqual(followUpPatch(ended(sending), ['c-phone']), {
      cancel: { more: ['b-tablet', 'c-phone'] },
    });
  });

  it('opens a job for a call that ended without one', () => {
    const call = { ...ended(pending), cancel: undefined, endReason: undefined };
    assert.deepEqual(followUpPatch(call, ['b-tablet', 'a-pixel']), {
      cancel: { state: 'pending', reason: 'other', targets: ['a-pixel', 'b-tablet'], round: 0 },
    });
    assert.deepEqual(followUpPatch({ ...call, endReason: 'timeout' }, ['a-pixel'])?.cancel, {
      state: 'pending',
      reason: 'timeout',
      targets: ['a-pixel'],
      round: 0,
    });
  });

  it('retries a cancel the provider refused with 500 too, not one it refused with 499', () => {
    const call = ended({ ...pending, state: 'sending', leaseUntil: now + 15_000, takenAt: now });
    const refused = (providerStatus: number): DeliveryResult => ({
      status: 'failed',
      attempts: 5,
      pushedAt: now,
      settledAt: now,
      providerStatus,
      reason: 'x',
    });
    const next = (status: number) =>
      applyPatch(call, finishCancelPatch(call, 0, { 'a-pixel': refused(status) }, now)).cancel;
    assert.equal(next(500)?.state, 'pending');
    assert.equal(next(429)?.state, 'pending');
    assert.equal(next(499)?.state, 'sent');
  });
});
