import assert from 'node:assert/strict';
import type { SendResult } from '../../../../functions/core/send/push';
import {
  DEFAULT_RETRY_POLICY,
  nextRetryDelay,
  type RetryPolicy,
} from '../../../../functions/core/send/retryPolicy';

const POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 2_000,
  minAttemptMs: 150,
};
const NOW = 1_000_000;
const FAR = NOW + 60_000;
const unavailable: SendResult = {
  kind: 'failed',
  retryable: true,
  status: 503,
  reason: 'Unavailable',
};

describe('nextRetryDelay', () => {
  it('uses the documented defaults', () => {
    assert.deepEqual(DEFAULT_RETRY_POLICY, POLICY);
  });

  it('never retries an accepted push, a dead token or a permanent failure', () => {
    const done: SendResult[] = [
      { kind: 'accepted', status: 200 },
      { kind: 'dead_token', status: 410, reason: 'Unregistered' },
      { kind: 'failed', retryable: false, status: 400, reason: 'BadTopic' },
    ];
    for (const result of done) assert.equal(nextRetryDelay(result, 1, NOW, FAR, POLICY, 0.5), null);
  });

  it('backs off exponentially up to maxDelayMs', () => {
    // random = 1 - ε is the top of the jitter range: the full backoff.
    const top = 1 - Number.EPSILON;
    const delays = [1, 2, 3, 4].map((a) =>
      nextRetryDelay(unavailable, a, NOW, FAR, { ...POLICY, maxAttempts: 10 }, top),
    );
    assert.deepEqual(delays, [200, 400, 800, 1600]);
    assert.equal(
      nextRetryDelay(unavailable, 5, NOW, FAR, { ...POLICY, maxAttempts: 10 }, top),
      2_000,
    );
    assert.equal(
      nextRetryDelay(unavailable, 9, NOW, FAR, { ...POLICY, maxAttempts: 10 }, top),
      2_000,
    );
  });

  it('jitters between half and all of the backoff', () => {
    assert.equal(nextRetryDelay(unavailable, 1, NOW, FAR, POLICY, 0), 100);
    assert.equal(nextRetryDelay(unavailable, 1, NOW, FAR, POLICY, 0.5), 150);
    assert.equal(nextRetryDelay(unavailable, 3, NOW, FAR, POLICY, 0), 400);
    for (let i = 0; i < 50; i += 1) {
      const random = i / 50;
      const delay = nextRetryDelay(unavailable, 2, NOW, FAR, POLICY, random)!;
      assert.ok(delay >= 200 && delay <= 400, `${delay} for random ${random}`);
    }
  });

  it('defaults random to the middle of the jitter range', () => {
    assert.equal(nextRetryDelay(unavailable, 1, NOW, FAR, POLICY), 150);
  });

  it('honours a Retry-After longer than the backoff', () => {
    const throttled: SendResult = { ...unavailable, status: 429, retryAfterMs: 5_000 };
    assert.equal(nextRetryDelay(throttled, 1, NOW, FAR, POLICY, 0.5), 5_000);
  });

  it('keeps the backoff when Retry-After is shorter', () => {
    const throttled: SendResult = { ...unavailable, status: 429, retryAfterMs: 10 };
    assert.equal(nextRetryDelay(throttled, 1, NOW, FAR, POLICY, 0.5), 150);
  });

  it('stops after maxAttempts attempts', () => {
    assert.notEqual(nextRetryDelay(unavailable, 4, NOW, FAR, POLICY, 0.5), null);
    assert.equal(nextRetryDelay(unavailable, 5, NOW, FAR, POLICY, 0.5), null);
    assert.equal(
      nextRetryDelay(unavailable, 1, NOW, FAR, { ...POLICY, maxAttempts: 1 }, 0.5),
      null,
    );
  });

  it('never schedules an attempt later than the deadline minus minAttemptMs', () => {
    // Attempt 1 at random 0.5 waits 150 ms, then needs 150 ms to run: 300 ms in all.
    assert.equal(nextRetryDelay(unavailable, 1, NOW, NOW + 300, POLICY, 0.5), 150);
    assert.equal(nextRetryDelay(unavailable, 1, NOW, NOW + 299, POLICY, 0.5), null);
    assert.equal(nextRetryDelay(unavailable, 1, NOW, NOW - 1, POLICY, 0.5), null);
  });

  it('gives up rather than shorten a Retry-After that runs past the deadline', () => {
    const throttled: SendResult = { ...unavailable, retryAfterMs: 10_000 };
    assert.equal(nextRetryDelay(throttled, 1, NOW, NOW + 9_000, POLICY, 0.5), null);
  });
});
