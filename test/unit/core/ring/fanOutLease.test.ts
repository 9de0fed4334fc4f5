import assert from 'node:assert/strict';
import {
  FANOUT_LEASE_MS,
  needsFanOut,
  pendingDevices,
  renewFanOutLease,
  stillHolds,
  takeFanOutLease,
} from '../../../../functions/core/ring/fanOutLease';
import type { Delivery } from '../../../../functions/core/model';
import { DEFAULT_RETRY_POLICY } from '../../../../functions/core/send/retryPolicy';
import { NOW, ringingCall } from '../fixtures';

const delivery = (status: Delivery['status']): Delivery => ({
  platform: 'android',
  provider: 'fcm',
  kind: 'data',
  status,
  attempts: 0,
});
const call = ringingCall({
  deliveries: { zeta: delivery('pending'), alpha: delivery('pending'), mid: delivery('accepted') },
  fanOut: { holder: 'me', takenAt: NOW, leaseUntil: NOW + FANOUT_LEASE_MS },
});

describe('the fan-out lease', () => {
  it('lists the devices whose push is not recorded, in order', () => {
    assert.deepEqual(pendingDevices(call), ['alpha', 'zeta']);
  });

  it('needs a fan-out while the call rings with room for one more attempt', () => {
    const edge = call.expiresAt - DEFAULT_RETRY_POLICY.minAttemptMs;
    assert.equal(needsFanOut(call, edge - 1), true);
    assert.equal(needsFanOut(call, edge), false, 'no room left at the edge');
    assert.equal(needsFanOut({ ...call, status: 'cancelled' }, NOW), false);
    assert.equal(needsFanOut({ ...call, deliveries: { mid: delivery('accepted') } }, NOW), false);
  });

  it('is taken once lapsed, renewed by its holder only', () => {
    assert.equal(takeFanOutLease(call, NOW, FANOUT_LEASE_MS, 'other'), null);
    assert.deepEqual(takeFanOutLease(call, NOW + FANOUT_LEASE_MS, 1_000, 'other'), {
      fanOut: {
        holder: 'other',
        takenAt: NOW + FANOUT_LEASE_MS,
        leaseUntil: NOW + FANOUT_LEASE_MS + 1_000,
      },
    });
    assert.equal(renewFanOutLease(call, NOW, FANOUT_LEASE_MS, 'other'), null);
    assert.deepEqual(renewFanOutLease(call, NOW + 1_000, FANOUT_LEASE_MS, 'me'), {
      fanOut: { leaseUntil: NOW + 1_000 + FANOUT_LEASE_MS },
    });
    assert.equal(stillHolds(call, 'me'), true);
    assert.equal(stillHolds(call, 'other'), false);
  });
});
