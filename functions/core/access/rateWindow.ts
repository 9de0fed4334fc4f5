/**
 * Fixed windows aligned to the epoch, so every instance agrees on which window an attempt falls
 * in without asking anyone: the window of `now` is its index, floor(now / windowMs).
 */
export function windowAt(now: number, windowMs: number): { index: number; endsAt: number } {
  const index = Math.floor(now / windowMs);
  return { index, endsAt: (index + 1) * windowMs };
}

/** The counter key of one limit's window: `<key>@<window index>`. */
export const windowKey = (key: string, now: number, windowMs: number) =>
  `${key}@${windowAt(now, windowMs).index}`;

/**
 * Whether an attempt is within the limit, given the window's count after its own increment:
 * counts are atomic increments, so the n-th attempt reads at least n, and at most `limit`
 * attempts can read a count of `limit` or less, however many arrive at once.
 */
export const withinLimit = (countAfterIncrement: number, limit: number) =>
  countAfterIncrement <= limit;
