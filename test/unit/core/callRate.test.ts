import assert from 'node:assert/strict';
import { CallRateLimiter } from '../../../functions/core/callRate';

describe('CallRateLimiter', () => {
  it('allows `limit` distinct calls per window, then refuses until the window moves on', () => {
    const limiter = new CallRateLimiter(() => 3, 60_000);
    for (const id of ['a', 'b', 'c']) assert.equal(limiter.allow('t\u00001001', id, 1_000), true);
    assert.equal(limiter.allow('t\u00001001', 'd', 2_000), false);
    assert.equal(
      limiter.allow('t\u00002002', 'd', 2_000),
      true,
      'other extensions are not affected',
    );
    assert.equal(
      limiter.allow('t\u00001001', 'd', 61_001),
      true,
      'the first calls left the window',
    );
  });

  it('lets retries of a counted call through, so duplicates are never throttled', () => {
    const limiter = new CallRateLimiter(() => 1, 60_000);
    assert.equal(limiter.allow('k', 'call-1', 0), true);
    for (let i = 0; i < 50; i += 1) assert.equal(limiter.allow('k', 'call-1', i), true);
    assert.equal(limiter.allow('k', 'call-2', 100), false);
  });
});
