import assert from 'node:assert/strict';
import { windowAt, windowKey, withinLimit } from '../../../../functions/core/access/rateWindow';

describe('rateWindow: fixed windows every instance agrees on', () => {
  it('puts an instant in the window of its epoch-aligned index, which ends at the next boundary', () => {
    assert.deepEqual(windowAt(0, 1_000), { index: 0, endsAt: 1_000 });
    assert.deepEqual(windowAt(999, 1_000), { index: 0, endsAt: 1_000 });
    assert.deepEqual(windowAt(1_000, 1_000), { index: 1, endsAt: 2_000 });
    assert.equal(windowKey('pair:u', 600_001, 600_000), 'pair:u@1');
    assert.notEqual(windowKey('pair:u', 1, 600_000), windowKey('pair:v', 1, 600_000));
  });

  it('lets through the attempts whose own increment left the count within the limit', () => {
    // Increments are atomic: the n-th attempt reads at least n, so only `limit` read ≤ limit.
    const reads = [1, 2, 3, 4, 5, 6, 7];
    assert.deepEqual(
      reads.filter((count) => withinLimit(count, 5)),
      [1, 2, 3, 4, 5],
    );
  });
});
