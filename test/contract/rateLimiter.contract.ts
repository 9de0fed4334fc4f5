import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { RateLimit, RateLimiter } from '../../functions/core/ports';

/**
 * The RateLimiter contract: fixed windows aligned to the epoch, at most `limit` attempts allowed
 * per window however many arrive at once, a refused attempt still counted. Checked against the
 * in-memory double and FirestoreRateLimiter alike; counters live in one collection, so each test
 * uses keys of its own.
 */
const WINDOW_MS = 60_000;
/** The start of a window. */
const T0 = 28_333_333 * WINDOW_MS;

export function rateLimiterContract(name: string, make: () => RateLimiter): void {
  describe(`RateLimiter contract: ${name}`, () => {
    let limiter: RateLimiter;
    const limit = (max: number, windowMs = WINDOW_MS): RateLimit => ({
      key: `k-${randomBytes(6).toString('hex')}`,
      limit: max,
      windowMs,
    });
    beforeEach(() => {
      limiter = make();
    });

    it('allows `limit` attempts in a window and refuses the next', async () => {
      const l = [limit(2)];
      assert.equal(await limiter.reserve(l, T0), true);
      assert.equal(await limiter.reserve(l, T0 + WINDOW_MS - 1), true);
      assert.equal(await limiter.reserve(l, T0 + 1), false);
    });

    it('starts afresh in the next window', async () => {
      const l = [limit(1)];
      assert.equal(await limiter.reserve(l, T0), true);
      assert.equal(await limiter.reserve(l, T0), false);
      assert.equal(await limiter.reserve(l, T0 + WINDOW_MS), true);
    });

    it('keeps a refused attempt counted: a release after it leaves the window still full', async () => {
      const l = [limit(1)];
      await limiter.reserve(l, T0);
      assert.equal(await limiter.reserve(l, T0), false);
      await limiter.release(l, T0);
      assert.equal(await limiter.reserve(l, T0), false);
    });

    it('gives a released attempt back to its window', async () => {
      const l = [limit(1)];
      await limiter.reserve(l, T0);
      await limiter.release(l, T0);
      assert.equal(await limiter.reserve(l, T0), true);
    });

    it('refuses when any one of several limits is spent, counting the attempt against all', async () => {
      const wide = limit(3);
      const narrow = limit(1);
      assert.equal(await limiter.reserve([wide, narrow], T0), true);
      assert.equal(await limiter.reserve([wide, narrow], T0), false);
      assert.equal(await limiter.reserve([wide], T0), true);
      assert.equal(await limiter.reserve([wide], T0), false);
    });

    // No more, but maybe fewer: Firestore's increments may all land before any of their reads.
    it('allows no more than `limit` of many concurrent attempts, and counts them all', async () => {
      const l = [limit(3)];
      const answers = await Promise.all(Array.from({ length: 10 }, () => limiter.reserve(l, T0)));
      assert.ok(answers.filter(Boolean).length <= 3, `${answers.filter(Boolean).length} allowed`);
      await Promise.all(Array.from({ length: 7 }, () => limiter.release(l, T0)));
      assert.equal(await limiter.reserve(l, T0), false, 'ten attempts counted: 4 after 7 back');
    });
  });
}
