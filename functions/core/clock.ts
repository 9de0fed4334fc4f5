/** Time, behind a port: the system clock in production, a virtual one in tests and the simulation. */
export interface Clock {
  now(): number;
  /**
   * Resolves after `ms`. With `signal`, resolves early once it aborts (a cancelled timer, not an
   * error), so a lease heartbeat leaves no timer behind when its work is done.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) {
        resolve();
        return;
      }
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done);
    }),
};
