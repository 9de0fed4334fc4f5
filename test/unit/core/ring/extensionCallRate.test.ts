import assert from 'node:assert/strict';
import { CallRateLimiter } from '../../../../functions/core/ring/extensionCallRate';

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

describe('CallRateLimiter: its memory', () => {
  it('forgets a call once it is a whole window old, not before', () => {
    const limiter = new CallRateLimiter(() => 1, 60_000);
    assert.equal(limiter.allow('k', 'a', 0), true);
    assert.equal(limiter.allow('k', 'b', 59_999), false);
    assert.equal(limiter.allow('k', 'b', 60_000), true, 'a window later, a counts no more');
  });

  it('drops idle extensions once it tracks more than 10,000, and keeps the busy ones', () => {
    const limiter = new CallRateLimiter(() => 1, 60_000);
    for (let i = 0; i < 10_000; i += 1) limiter.allow(`idle-${i}`, 'c', 0);
    assert.equal(limiter.allow('busy', 'c', 59_000), true);
    // The 10,001st extension prunes every one whose calls all left the window.
    assert.equal(limiter.allow('new', 'c', 60_000), true);
    const windows = (limiter as unknown as { windows: Map<string, unknown> }).windows;
    assert.deepEqual([...windows.keys()].sort(), ['busy', 'new']);
    assert.equal(limiter.allow('busy', 'd', 60_001), false, 'the busy one still counts its call');
  });

  it('keeps counting an extension whose older calls left the window but a recent one has not', () => {
    const limiter = new CallRateLimiter(() => 2, 60_000);
    assert.equal(limiter.allow('busy', 'a', 0), true);
    assert.equal(limiter.allow('busy', 'b', 59_000), true);
    for (let i = 0; i < 10_000; i += 1) limiter.allow(`idle-${i}`, 'c', 0);
    // A prune at 60,000: a has left the window, b has not, so busy keeps b.
    assert.equal(limiter.allow('new', 'c', 60_000), true);
    assert.equal(limiter.allow('busy', 'd', 60_001), true);
    assert.equal(limiter.allow('busy', 'e', 60_002), false, 'b and d fill the limit of 2');
  });

  it('keeps every extension while it tracks 10,000 or fewer, idle or not', () => {
    const limiter = new CallRateLimiter(() => 1, 60_000);
    for (let i = 0; i < 9_999; i += 1) limiter.allow(`idle-${i}`, 'c', 0);
    limiter.allow('late', 'c', 60_000);
    const windows = (limiter as unknown as { windows: Map<string, unknown> }).windows;
    assert.equal(windows.size, 10_000);
  });
});
