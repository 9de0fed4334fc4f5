import assert from 'node:assert/strict';
import {
  heldBy,
  leaseHeld,
  leaseHolder,
  renewedLease,
  takeLease,
} from '../../../../functions/core/call/lease';
import { NOW } from '../fixtures';

describe('a lease on a call', () => {
  it('names its holder by time and a random number, so two runs never share one', () => {
    assert.equal(
      leaseHolder(36, () => 0.5),
      `10-${(2 ** 31).toString(36)}`,
    );
    assert.notEqual(
      leaseHolder(NOW, () => 0.1),
      leaseHolder(NOW, () => 0.2),
    );
  });

  it('records who took it, when, and until when', () => {
    assert.deepEqual(takeLease('me', NOW, 4_000), {
      holder: 'me',
      takenAt: NOW,
      leaseUntil: NOW + 4_000,
    });
  });

  it('is held up to its end, free from it on, and free when there is none', () => {
    const lease = takeLease('me', NOW, 4_000);
    assert.equal(leaseHeld(lease, NOW + 3_999), true);
    assert.equal(leaseHeld(lease, NOW + 4_000), false);
    assert.equal(leaseHeld(undefined, NOW), false);
    assert.equal(leaseHeld({ holder: 'me' }, NOW), false, 'no end: nobody holds it');
  });

  it('is still its holder’s until another takes it', () => {
    const lease = takeLease('me', NOW, 4_000);
    assert.equal(heldBy(lease, 'me'), true);
    assert.equal(heldBy(takeLease('other', NOW + 4_000, 4_000), 'me'), false);
    assert.equal(heldBy(undefined, 'me'), false);
  });

  it('is renewed from now, never shortened', () => {
    const lease = takeLease('me', NOW, 4_000);
    assert.deepEqual(renewedLease(lease, NOW + 2_000, 4_000), { leaseUntil: NOW + 6_000 });
    assert.deepEqual(renewedLease(lease, NOW, 1_000), { leaseUntil: NOW + 4_000 });
  });
});
