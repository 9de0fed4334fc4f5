import type { Clock } from '../../functions/core/clock';
import { AppError } from '../../functions/core/errors';
import type { FakeClock } from '../support/fakeClock';
import type { Rng } from './rng';

/** A promise that never settles: what a dead instance's awaits become. */
export const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

export const unavailable = () =>
  new AppError('unavailable', 'The database did not answer in time; try again shortly.');

/** Store deadlines of a run, as functions/http/api.ts and wiring.ts set them. */
export interface Budget {
  ms: number;
  transactionMs: number;
}
export const API_BUDGET: Budget = { ms: 1_200, transactionMs: 5_000 };
export const EVENT_BUDGET: Budget = { ms: 5_000, transactionMs: 5_000 };

/**
 * One handler invocation (an HTTP request, a trigger delivery, a job run) on one instance.
 * Killing it is a crash: every await of the run on a port or the clock then never settles,
 * while what it already sent (a store write, a push) still lands.
 */
export class Run {
  private killed = false;
  readonly died: Promise<void>;
  private markDead: () => void = () => undefined;

  constructor(
    readonly id: number,
    readonly kind: string,
    readonly budget: Budget | null,
  ) {
    this.died = new Promise((resolve) => {
      this.markDead = resolve;
    });
  }

  /** A method, not a field: it changes across awaits, which narrowing would not see. */
  isDead(): boolean {
    return this.killed;
  }

  kill(): void {
    if (this.killed) return;
    this.killed = true;
    this.markDead();
  }

  /** The clock as the run sees it: a dead run never wakes up. */
  clock(clock: FakeClock): Clock {
    return {
      now: () => clock.now(),
      sleep: async (ms, signal) => {
        await clock.sleep(ms, signal);
        if (this.isDead()) return never();
      },
    };
  }
}

export type StoreFault = 'throw' | 'lost' | 'die_before' | 'die_after' | 'slow';
const STORE_FAULTS: readonly StoreFault[] = ['throw', 'lost', 'die_before', 'die_after', 'slow'];

/** Counts of what a schedule injected, summed over a whole simulation run. */
export interface FaultCounts {
  store: Record<StoreFault, number>;
  provider: Record<string, number>;
}

export const emptyCounts = (): FaultCounts => ({
  store: { throw: 0, lost: 0, die_before: 0, die_after: 0, slow: 0 },
  provider: {},
});

/** Decides, call by call, which store calls fail and how. */
export class FaultPlan {
  enabled = true;

  constructor(
    private readonly rng: Rng,
    private readonly rate: number,
    private readonly counts: FaultCounts,
  ) {}

  draw(): StoreFault | null {
    if (!this.enabled || !this.rng.chance(this.rate)) return null;
    const fault = this.rng.pick(STORE_FAULTS);
    this.counts.store[fault] += 1;
    return fault;
  }
}

/** A call state a run learned from the store (for the "checked before each push" invariant). */
export interface Observation {
  runId: number;
  callUuid: string;
  status: string;
  expiresAt: number;
  /** When the store read (or transaction) happened. */
  at: number;
  /** When the run had the answer in hand. */
  returnedAt: number;
}

export interface StoreWrapOptions<T> {
  transactions: readonly (keyof T)[];
  /** Listener-style calls: a fault may only fail them at the start. */
  listeners: readonly (keyof T)[];
  /** The call states a successful result shows (for observations). */
  seen?: (
    method: string,
    result: unknown,
  ) => { callUuid: string; status: string; expiresAt: number }[];
}

/**
 * A store as one run sees it: every call takes virtual time, may fail (before or after its
 * effect), may kill the run, and is bounded by the run's store deadline. An effect lands at
 * its own time even when the caller has given up or died, as with a real RPC.
 */
export function faultyStore<T extends object>(
  store: T,
  run: Run,
  env: { clock: FakeClock; rng: Rng; plan: FaultPlan; observations: Observation[] },
  options: StoreWrapOptions<T>,
): T {
  const { clock, rng, plan } = env;
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const method = value as (...a: unknown[]) => Promise<unknown>;
      const name = property as keyof T;
      return async (...args: unknown[]) => {
        if (run.isDead()) return never();
        const fault = plan.draw();
        if (fault === 'die_before') {
          run.kill();
          return never();
        }
        if (options.listeners.includes(name)) {
          if (fault === 'throw' || fault === 'lost') throw unavailable();
          const result = await method.apply(target, args);
          if (run.isDead()) return never();
          record(String(property), result, clock.now());
          return result;
        }
        const l1 = fault === 'slow' ? rng.int(500, 3_000) : rng.int(1, 30);
        const l2 = rng.int(1, 30);
        let appliedAt = 0;
        const applied = (async () => {
          await clock.sleep(l1);
          if (fault === 'throw') throw unavailable();
          const result = await method.apply(target, args);
          appliedAt = clock.now();
          return result;
        })();
        const outcome = (async () => {
          const result = await applied;
          await clock.sleep(l2);
          if (fault === 'lost') throw unavailable();
          if (fault === 'die_after') {
            run.kill();
            return never();
          }
          return result;
        })();
        const budget = run.budget;
        const limit = budget
          ? options.transactions.includes(name)
            ? budget.transactionMs
            : budget.ms
          : null;
        const stop = new AbortController();
        let result: unknown;
        try {
          result = await (limit === null
            ? outcome
            : Promise.race([
                outcome,
                clock.sleep(limit, stop.signal).then(() => {
                  if (!stop.signal.aborted) throw unavailable();
                  return never();
                }),
              ]));
        } catch (err) {
          if (run.isDead()) return await never();
          throw err;
        } finally {
          stop.abort();
        }
        if (run.isDead()) return never();
        record(String(property), result, appliedAt);
        return result;
      };
    },
  });

  function record(method: string, result: unknown, at: number): void {
    for (const seen of options.seen?.(method, result) ?? []) {
      env.observations.push({ runId: run.id, ...seen, at, returnedAt: clock.now() });
    }
  }
}
