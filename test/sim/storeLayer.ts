import { AppError } from '../../functions/core/errors';
import type { FakeClock } from '../support/fakeClock';
import type { FaultPlan } from './faults';
import { never, type Run } from './instances';
import type { Rng } from './rng';

export const unavailable = () =>
  new AppError('unavailable', 'The database did not answer in time; try again shortly.');

/** A store call whose effect landed, as the database saw it (the world's record of writes). */
export interface Landed {
  runId: number;
  runKind: string;
  store: string;
  method: string;
  args: unknown[];
  result: unknown;
  /** When it took effect. */
  at: number;
}

/** A call's state a run learned from the store (for "checked before each push"). */
export interface Observation {
  runId: number;
  callUuid: string;
  status: string;
  expiresAt: number;
  /** When the store read (or transaction) happened... */
  at: number;
  /** ...and when the run had the answer in hand. */
  returnedAt: number;
}

export interface StoreEnv {
  clock: FakeClock;
  rng: Rng;
  plan: FaultPlan;
  landed: Landed[];
  observations: Observation[];
  /** Told of each effect as it lands (the triggers' event feed). */
  onLanded(entry: Landed): Promise<void>;
  /**
   * Real milliseconds a new listener holds virtual time for its first snapshot (the emulator's
   * answers take real time; in memory there is nothing to wait for).
   */
  listenerGraceMs: number;
}

export interface StoreLayerOptions {
  store: string;
  /** Listener-style calls (waitFor): a fault may only fail them at the start. */
  listeners?: readonly string[];
  /**
   * Subscriptions (watchAnswers): synchronous, returning their unsubscribe; their callback
   * (the last argument) is not called once the run's instance is dead.
   */
  subscriptions?: readonly string[];
  /** The call states a successful result shows (for observations). */
  seen?: (
    method: string,
    result: unknown,
  ) => { callUuid: string; status: string; expiresAt: number }[];
}

/**
 * A store as one run reaches it: every call takes virtual time, may fail before or after its
 * effect, may kill the run's instance, and holds virtual time still while the real store works
 * (the Firestore emulator). An effect lands at its own time even when the caller has given up
 * or died, as with a real RPC. The store deadlines are not here: the production wrapper
 * (store/storeDeadlines.ts) sits above this layer, on the run's clock.
 */
export function faultyStore<T extends object>(
  store: T,
  run: Run,
  env: StoreEnv,
  options: StoreLayerOptions,
): T {
  const { clock, rng, plan } = env;
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const method = value as (...a: unknown[]) => Promise<unknown>;
      const name = String(property);
      if (options.subscriptions?.includes(name)) {
        return (...args: unknown[]) => {
          const listener = args.at(-1) as (...a: unknown[]) => void;
          const alive = (...a: unknown[]) => {
            if (!run.isDead()) listener(...a);
          };
          return (value as (...a: unknown[]) => unknown).apply(target, [
            ...args.slice(0, -1),
            alive,
          ]);
        };
      }
      const real = async (args: unknown[]) => {
        const release = clock.hold();
        try {
          return await method.apply(target, args);
        } finally {
          release();
        }
      };
      return async (...args: unknown[]) => {
        if (run.isDead()) return never();
        const fault = plan.store();
        if (fault) {
          run.faults += 1;
          run.trouble(clock.now());
        }
        if (fault === 'die_before') {
          run.instance.kill(clock.now());
          return never();
        }
        if (options.listeners?.includes(name)) {
          if (fault === 'throw' || fault === 'lost') throw unavailable();
          const release = env.listenerGraceMs > 0 ? clock.hold() : null;
          const grace = release && setTimeout(release, env.listenerGraceMs);
          let result: unknown;
          try {
            result = await method.apply(target, args);
          } finally {
            if (grace) clearTimeout(grace);
            release?.();
          }
          if (run.isDead()) return never();
          record(name, result, clock.now());
          return result;
        }
        const l1 = fault === 'slow' ? rng.int(500, 3_000) : rng.int(1, 30);
        const l2 = rng.int(1, 30);
        let appliedAt = 0;
        const applied = (async () => {
          await clock.sleep(l1);
          if (fault === 'throw') throw unavailable();
          const result = await real(args);
          appliedAt = clock.now();
          const entry: Landed = {
            runId: run.id,
            runKind: run.kind,
            store: options.store,
            method: name,
            args,
            result,
            at: appliedAt,
          };
          env.landed.push(entry);
          await env.onLanded(entry);
          return result;
        })();
        const outcome = (async () => {
          const result = await applied;
          await clock.sleep(l2);
          if (fault === 'lost') throw unavailable();
          if (fault === 'die_after') {
            run.instance.kill(clock.now());
            return never();
          }
          return result;
        })();
        let result: unknown;
        try {
          result = await outcome;
        } catch (err) {
          if (run.isDead()) return await never();
          throw err;
        }
        if (run.isDead()) return never();
        record(name, result, appliedAt);
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

/** Counts every store error the run's code sees (a fault, or a deadline that ran out). */
export function countingErrors<T extends object>(store: T, run: Run, clock: FakeClock): T {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.catch((err: unknown) => {
          run.storeErrors += 1;
          run.trouble(clock.now());
          throw err;
        });
      };
    },
  });
}
