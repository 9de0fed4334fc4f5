import assert from 'node:assert/strict';
import {
  applyAnswer,
  applyExpiry,
  applyPbxCancel,
} from '../../../../functions/core/call/callState';
import {
  finishCancelPatch,
  leaseCancelPatch,
} from '../../../../functions/core/cancel/cancelJobState';
import { applyDeliveries } from '../../../../functions/core/ring/recordDeliveries';
import type { Call, Delivery, DeliveryResult } from '../../../../functions/core/model';
import {
  bucketOf,
  countersOf,
  observe,
  sumCounters,
  type Counters,
} from '../../../../functions/core/metrics/counters';
import { applyPatch } from '../../../../functions/core/call/patch';
import { NOW, ringingCall } from '../fixtures';

const pending = (provider: Delivery['provider'], platform: Delivery['platform']): Delivery => ({
  platform,
  provider,
  kind: provider === 'apns' ? 'voip' : 'data',
  status: 'pending',
  attempts: 0,
});

const accepted = (pushedAt: number, settledAt: number): DeliveryResult => ({
  status: 'accepted',
  attempts: 1,
  providerStatus: 200,
  pushedAt,
  settledAt,
});

/** A ringing call with a pending Android and iPhone push. */
const twoDevices = (): Call =>
  ringingCall({
    devices: 2,
    deliveries: { pixel: pending('fcm', 'android'), iphone: pending('apns', 'ios') },
  });

/** Counts what a transition changes, as the store does: before vs after the patch. */
function step(
  call: Call,
  patch: Record<string, unknown> | null,
): { call: Call; counters: Counters } {
  const after = applyPatch(call, patch);
  return { call: after, counters: countersOf(observe(call, after)) };
}

describe('metrics: what a call write adds', () => {
  it('a new ringing call counts nothing; a call with no devices counts its outcome at once', () => {
    assert.deepEqual(observe(null, twoDevices()), []);
    const none = ringingCall({ status: 'no_devices', devices: 0 });
    assert.deepEqual(countersOf(observe(null, none)), { 'calls|no_devices': 1 });
    // It never rang, nor was it answered: its outcome carries no times it does not have.
    assert.deepEqual(observe(null, none), [{ kind: 'outcome', outcome: 'no_devices' }]);
  });

  it('recording the pushes counts each by provider and result, with its ring latency', () => {
    const call = twoDevices();
    const patch = applyDeliveries(call, {
      pixel: accepted(NOW + 5, NOW + 40),
      iphone: {
        status: 'dead_token',
        attempts: 2,
        providerStatus: 410,
        reason: 'Unregistered',
        pushedAt: NOW + 5,
        settledAt: NOW + 3000,
      },
    });
    const { counters } = step(call, patch);
    assert.deepEqual(counters, {
      'pushes|fcm|incoming|accepted': 1,
      'pushes|apns|incoming|dead_token': 1,
      // 40 ms after the call was created: the bucket le=0.05 (index 1).
      'ring|fcm|b1': 1,
      'ring|fcm|sum_ms': 40,
      'ring|fcm|count': 1,
    });
  });

  it('the same record applied again counts nothing (a redelivered write)', () => {
    const call = twoDevices();
    const first = step(call, applyDeliveries(call, { pixel: accepted(NOW, NOW + 40) })).call;
    // A second request's identical outcome: applyDeliveries keeps the first, nothing changes.
    const again = applyDeliveries(first, { pixel: accepted(NOW, NOW + 40) });
    assert.deepEqual(step(first, again).counters, {});
  });

  it('the outcome is counted once, when ringing stops, whoever stops it', () => {
    const call = step(
      twoDevices(),
      applyDeliveries(twoDevices(), { pixel: accepted(NOW, NOW + 30) }),
    ).call;
    const won = applyAnswer(
      call,
      { action: 'accept', deviceId: 'pixel', uid: 'u', answeredAt: NOW + 900 },
      NOW + 950,
    );
    const answered = step(call, won.patch);
    assert.equal(answered.counters['calls|accepted'], 1);
    // A late answer, the PBX's cancel and the expiry after it change no outcome.
    const late = applyAnswer(
      answered.call,
      { action: 'decline', deviceId: 'iphone', uid: 'v', answeredAt: NOW + 1000 },
      NOW + 1000,
    );
    assert.deepEqual(step(answered.call, late.patch).counters, {});
    assert.equal(applyPbxCancel(answered.call, 'hangup', NOW + 2000), null);
    for (const [status, patch] of [
      ['cancelled', applyPbxCancel(call, 'hangup', NOW + 2000)],
      ['missed', applyExpiry(call, NOW + 31_000)],
    ] as const) {
      assert.deepEqual(step(call, patch).counters, { [`calls|${status}`]: 1 });
    }
  });

  it('cancel pushes count by result, with the latency from the end of ringing', () => {
    const rang = step(
      twoDevices(),
      applyDeliveries(twoDevices(), { pixel: accepted(NOW, NOW + 30) }),
    ).call;
    const ended = step(rang, applyPbxCancel(rang, 'hangup', NOW + 5000)).call;
    const taken = step(ended, leaseCancelPatch(ended, NOW + 5010, 15_000, 'run')).call;
    const finished = step(
      taken,
      finishCancelPatch(taken, 0, { pixel: accepted(NOW + 5020, NOW + 5130) }, NOW + 5140),
    );
    assert.deepEqual(finished.counters, {
      'pushes|fcm|cancel|accepted': 1,
      'cancel|fcm|b3': 1, // 130 ms: le=0.25
      'cancel|fcm|sum_ms': 130,
      'cancel|fcm|count': 1,
    });
  });

  it("an iPhone's cancel is counted under FCM, which carries it", () => {
    const call = ringingCall({
      status: 'cancelled',
      endedAt: NOW + 100,
      deliveries: { iphone: pending('apns', 'ios') },
    });
    const after = { ...call, cancels: { iphone: accepted(NOW + 110, NOW + 150) } };
    assert.equal(countersOf(observe(call, after))['pushes|fcm|cancel|accepted'], 1);
  });

  it("a browser's or Huawei phone's cancel is counted under its own provider", () => {
    const call = ringingCall({
      status: 'cancelled',
      endedAt: NOW + 100,
      deliveries: { tab: pending('webpush', 'web'), mate: pending('hms', 'android') },
    });
    const after = {
      ...call,
      cancels: { tab: accepted(NOW + 110, NOW + 150), mate: accepted(NOW + 110, NOW + 160) },
    };
    const counters = countersOf(observe(call, after));
    assert.equal(counters['pushes|webpush|cancel|accepted'], 1);
    assert.equal(counters['pushes|hms|cancel|accepted'], 1);
    assert.equal(counters['pushes|fcm|cancel|accepted'], undefined);
  });

  it("the outcome's ring time is the first push a provider accepted, and absent with none", () => {
    const settled = (status: Delivery['status'], settledAt?: number): Delivery => ({
      ...pending('fcm', 'android'),
      status,
      ...(settledAt === undefined ? {} : { settledAt }),
    });
    const ended = (deliveries: Record<string, Delivery>) =>
      ringingCall({ status: 'cancelled', endedAt: NOW + 900, deliveries });
    const outcomeOf = (call: Call) => observe(null, call).find((o) => o.kind === 'outcome');
    assert.deepEqual(
      outcomeOf(
        ended({
          failedFirst: settled('failed', NOW + 100),
          unknown: settled('unknown', NOW + 150),
          later: settled('accepted', NOW + 300),
          pending: settled('pending'),
        }),
      ),
      { kind: 'outcome', outcome: 'cancelled', ringMs: 300, endMs: 900 },
    );
    assert.deepEqual(outcomeOf(ended({ failed: settled('failed', NOW + 100) })), {
      kind: 'outcome',
      outcome: 'cancelled',
      endMs: 900,
    });
  });

  it('a refused push has no latency; a cancel record applied again counts nothing', () => {
    const failed: DeliveryResult = { ...accepted(NOW, NOW + 30), status: 'failed' };
    const ringing = twoDevices();
    const rang = applyPatch(ringing, applyDeliveries(ringing, { pixel: failed }));
    assert.deepEqual(observe(ringing, rang), [
      { kind: 'push', push: 'incoming', provider: 'fcm', result: 'failed' },
    ]);
    const ended = ringingCall({
      status: 'cancelled',
      endedAt: NOW + 100,
      deliveries: { pixel: pending('fcm', 'android') },
    });
    const cancelled = { ...ended, cancels: { pixel: { ...failed, settledAt: NOW + 150 } } };
    assert.deepEqual(observe(ended, cancelled), [
      { kind: 'push', push: 'cancel', provider: 'fcm', result: 'failed' },
    ]);
    assert.deepEqual(observe(cancelled, { ...cancelled }), [], 'the same record again');
  });

  it('buckets: each bound is inclusive, beyond the last is +Inf', () => {
    assert.equal(bucketOf(0), 0);
    assert.equal(bucketOf(25), 0);
    assert.equal(bucketOf(26), 1);
    assert.equal(bucketOf(10_000), 8);
    assert.equal(bucketOf(10_001), 9);
  });

  it('shards add up, ignoring what is not a number', () => {
    assert.deepEqual(
      sumCounters([
        { 'calls|accepted': 2 },
        { 'calls|accepted': 3, 'calls|missed': 1 },
        { bad: Number.NaN },
      ]),
      { 'calls|accepted': 5, 'calls|missed': 1 },
    );
  });
});
