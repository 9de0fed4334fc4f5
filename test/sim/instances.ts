import { CallRateLimiter } from '../../functions/core/ring/extensionCallRate';
import type { StoreBudget } from '../../functions/store/deadline';
import { apiStoreBudget, eventStoreBudget } from '../../functions/wiring/budgets';

/** A promise that never settles: what a dead instance's awaits become. */
export const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/** The deployed functions, each with instances of its own. */
export type FunctionName = 'api' | 'onCallWritten' | 'onAnswerWritten' | 'expireCalls';

/**
 * One instance of a function: its clock is off by `skewMs`, its store budget warms up on its
 * first answer, and it serves several runs at once. When it dies, every run on it dies.
 */
export class Instance {
  private killed = false;
  readonly runs = new Set<Run>();
  readonly budget: StoreBudget;
  /** The api function's per-instance call throttle (functions/wiring/apiContext.ts). */
  readonly callRate = new CallRateLimiter(() => 30);

  constructor(
    readonly id: number,
    readonly fn: FunctionName,
    readonly skewMs: number,
  ) {
    this.budget = fn === 'api' ? apiStoreBudget() : eventStoreBudget();
  }

  isDead(): boolean {
    return this.killed;
  }

  kill(at: number): void {
    if (this.killed) return;
    this.killed = true;
    for (const run of this.runs) run.kill(at);
  }
}

/**
 * One handler invocation (an HTTP request, a trigger delivery, a job run) on one instance.
 * Killing it is a crash: every await of the run on a port or the clock then never settles,
 * while what it already sent (a store write, a push) still lands.
 */
export class Run {
  private killed = false;
  readonly died: Promise<void>;
  private markDead: () => void = () => undefined;
  diedAt: number | null = null;
  endedAt: number | null = null;
  /** Faults injected into this run, and store errors its code saw (a deadline included). */
  faults = 0;
  storeErrors = 0;
  /** When the first of those (or its death) happened. */
  troubledAt = Infinity;

  constructor(
    readonly id: number,
    /** What it is: pbx_post, pbx_cancel, app_answer, on_call_written, job, ... */
    readonly kind: string,
    readonly instance: Instance,
    /** The call it serves, when it serves one. */
    readonly callUuid: string | null,
    readonly startedAt: number,
  ) {
    this.died = new Promise((resolve) => {
      this.markDead = resolve;
    });
    instance.runs.add(this);
  }

  /** A method, not a field: it changes across awaits, which narrowing would not see. */
  isDead(): boolean {
    return this.killed;
  }

  kill(at: number): void {
    if (this.killed) return;
    this.killed = true;
    this.diedAt = at;
    this.troubledAt = Math.min(this.troubledAt, at);
    this.instance.runs.delete(this);
    this.markDead();
  }

  end(at: number): void {
    if (this.killed || this.endedAt !== null) return;
    this.endedAt = at;
    this.instance.runs.delete(this);
  }

  /** When it stopped: returned, died, or still running (Infinity). */
  get stoppedAt(): number {
    return this.diedAt ?? this.endedAt ?? Infinity;
  }

  /** A fault hit it, a store call failed on it, or it died: what it did may be unrecorded. */
  trouble(at: number): void {
    this.troubledAt = Math.min(this.troubledAt, at);
  }

  /** Troubled at or before `at`. */
  troubledBy(at: number): boolean {
    return this.troubledAt <= at;
  }
}
