import assert from 'node:assert/strict';
import type { RateLimit } from '../../../functions/core/ports';
import {
  currentWindow,
  releaseAll,
  reserveAll,
  type RateWindow,
} from '../../../functions/core/rateWindow';

const user: RateLimit = { key: 'pair:u', limit: 2, windowMs: 1_000 };
const ext: RateLimit = { key: 'pair-ext:t:100', limit: 3, windowMs: 1_000 };

describe('rateWindow: fixed windows reserved together', () => {
  it('starts a fresh window when none is stored or the stored one ended', () => {
    assert.deepEqual(currentWindow(undefined, user, 5_000), {
      count: 0,
      windowStart: 5_000,
      windowMs: 1_000,
    });
    const old = { count: 2, windowStart: 3_000, windowMs: 1_000 };
    assert.deepEqual(currentWindow(old, user, 3_999), old);
    assert.equal(currentWindow(old, user, 4_000).count, 0);
  });

  it('counts one attempt against every limit, or none when any is used up', () => {
    const counts = (windows: RateWindow[] | null) => windows?.map((w) => w.count) ?? null;
    const first = reserveAll([undefined, undefined], [user, ext], 0);
    assert.deepEqual(counts(first), [1, 1]);
    const second = reserveAll(first ?? [], [user, ext], 10);
    assert.deepEqual(counts(second), [2, 2]);
    assert.equal(reserveAll(second ?? [], [user, ext], 20), null, "the user's limit is reached");
    // Another user, same extension: its own window is empty, the extension's has room for one.
    const extWindow = second?.[1];
    const other = reserveAll([undefined, extWindow], [{ ...user, key: 'pair:v' }, ext], 30);
    assert.deepEqual(counts(other), [1, 3]);
    assert.equal(reserveAll([undefined, other?.[1]], [user, ext], 40), null);
    assert.deepEqual(
      counts(reserveAll([undefined, other?.[1]], [user, ext], 1_000)),
      [1, 1],
      'the next window',
    );
  });

  it('gives an attempt back only in a window still running', () => {
    const running = { count: 2, windowStart: 0, windowMs: 1_000 };
    assert.deepEqual(releaseAll([running, undefined], 999), [{ ...running, count: 1 }, null]);
    assert.deepEqual(releaseAll([running], 1_000), [null]);
    assert.deepEqual(releaseAll([{ ...running, count: 0 }], 10), [null]);
  });
});
