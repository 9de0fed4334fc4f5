import type { RateLimit } from './ports';

/** One fixed-window counter as stored (rateLimits/{key}). */
export interface RateWindow {
  count: number;
  windowStart: number;
  windowMs: number;
}

/** The window `stored` counts in at `now`: itself while it lasts, else a fresh, empty one. */
export function currentWindow(
  stored: RateWindow | undefined,
  limit: RateLimit,
  now: number,
): RateWindow {
  return stored && now - stored.windowStart < stored.windowMs
    ? stored
    : { count: 0, windowStart: now, windowMs: limit.windowMs };
}

/**
 * The windows after reserving one attempt against every limit at once, or
 * null when any of them is used up (then nothing is counted).
 */
export function reserveAll(
  stored: readonly (RateWindow | undefined)[],
  limits: readonly RateLimit[],
  now: number,
): RateWindow[] | null {
  const windows = limits.map((limit, i) => currentWindow(stored[i], limit, now));
  if (windows.some((window, i) => window.count >= (limits[i]?.limit ?? 0))) return null;
  return windows.map((window) => ({ ...window, count: window.count + 1 }));
}

/**
 * The windows after giving one reserved attempt back; null for a window that
 * has ended since (nothing to give back there).
 */
export function releaseAll(
  stored: readonly (RateWindow | undefined)[],
  now: number,
): (RateWindow | null)[] {
  return stored.map((window) =>
    window && now - window.windowStart < window.windowMs && window.count > 0
      ? { ...window, count: window.count - 1 }
      : null,
  );
}
