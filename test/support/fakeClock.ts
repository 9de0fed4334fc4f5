import type { Clock } from '../../functions/core/clock';

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/**
 * Virtual time. `sleep` registers a timer; when nothing else can run (every promise callback
 * has run: one macrotask turn later), time jumps to the earliest timer and fires it. So a
 * retry's backoff or a lease's expiry takes no real time, concurrent work interleaves in
 * virtual-time order, and a run is deterministic: timers due at the same moment fire in the
 * order they were set.
 */
export class FakeClock implements Clock {
  /** Every sleep asked for, in order (cancelled ones included). */
  readonly sleeps: number[] = [];
  private readonly timers: Timer[] = [];
  private seq = 0;
  private pumping = false;
  private holds = 0;
  private idle: (() => void)[] = [];

  constructor(public current = 1_700_000_000_000) {}

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer: Timer = { at: this.current + Math.max(0, ms), seq: this.seq++, resolve };
      const index = this.timers.findIndex((t) => t.at > timer.at);
      this.timers.splice(index < 0 ? this.timers.length : index, 0, timer);
      signal?.addEventListener(
        'abort',
        () => {
          const at = this.timers.indexOf(timer);
          if (at >= 0) this.timers.splice(at, 1);
          resolve();
        },
        { once: true },
      );
      this.pump();
    });
  }

  /**
   * Stops time while real I/O is in flight (a call to the Firestore emulator), so that no timer
   * fires as if it had taken virtual time. Returns the release.
   */
  hold(): () => void {
    this.holds += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds -= 1;
      if (this.holds === 0) this.pump();
    };
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.length;
  }

  /** Resolves once no timer is left and nothing else is runnable. */
  settled(): Promise<void> {
    return new Promise((resolve) => {
      this.idle.push(resolve);
      this.pump();
    });
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    setImmediate(() => {
      this.pumping = false;
      if (this.holds > 0) return;
      const timer = this.timers.shift();
      if (timer) {
        this.current = Math.max(this.current, timer.at);
        timer.resolve();
        this.pump();
        return;
      }
      const waiting = this.idle;
      this.idle = [];
      for (const resolve of waiting) resolve();
    });
  }
}
