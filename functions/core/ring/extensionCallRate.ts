/**
 * Throttles abusive call rates to one extension: at most `limit` distinct
 * calls per `windowMs`. Retries of a call already counted pass (a PBX retry
 * must get its call back, not a 429). Kept in the instance's memory: the
 * ring path pays no database round trip for it, at the price of the limit
 * holding per instance rather than globally.
 */
export class CallRateLimiter {
  private readonly windows = new Map<string, Map<string, number>>();

  constructor(
    private readonly limit: () => number,
    private readonly windowMs = 60_000,
  ) {}

  /** Whether call `callId` to `key` (tenant and extension) may ring now. */
  allow(key: string, callId: string, now: number): boolean {
    const calls = this.windows.get(key) ?? new Map<string, number>();
    for (const [id, at] of calls) if (at <= now - this.windowMs) calls.delete(id);
    this.windows.set(key, calls);
    if (calls.has(callId)) return true;
    if (calls.size >= this.limit()) return false;
    calls.set(callId, now);
    if (this.windows.size > 10_000) this.prune(now);
    return true;
  }

  /** Drops idle extensions so the map cannot grow without bound. */
  private prune(now: number): void {
    for (const [key, calls] of this.windows) {
      if ([...calls.values()].every((at) => at <= now - this.windowMs)) this.windows.delete(key);
    }
  }
}
