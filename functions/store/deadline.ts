import { systemClock, type Clock } from '../core/clock';
import { AppError, busyError, slowError } from '../core/errors';

/**
 * How long a database call may take: short once the client has answered
 * once, long before (a cold instance's first call sets up its channel and
 * credentials, which under load can take seconds on its own). Transactions
 * get a little more once warm: under contention they wait on each other's
 * locks, which is not a dead backend.
 */
export class StoreBudget {
  private warm = false;
  private answers = 0;

  /**
   * @param readsFirst Every path on this budget reads before its first transaction (the API's
   * routes do), so a transaction past its budget waits on other transactions' locks: 429 busy.
   * Where a transaction may be a path's first call (a trigger settling an answer), nothing says
   * the database is alive: 503 unavailable.
   */
  constructor(
    readonly warmMs: number,
    readonly coldMs: number,
    readonly transactionWarmMs = warmMs,
    readonly readsFirst = false,
  ) {}

  get ms(): number {
    return this.warm ? this.warmMs : this.coldMs;
  }

  get transactionMs(): number {
    return this.warm ? this.transactionWarmMs : this.coldMs;
  }

  /** How many calls the database has answered through this budget: it is alive when this grows. */
  get answered(): number {
    return this.answers;
  }

  succeeded(): void {
    this.warm = true;
    this.answers += 1;
  }
}

export interface DeadlineOptions<T> {
  /** Methods left as they are: long-polls with a timeout of their own. */
  except?: readonly (keyof T)[];
  /** Methods that run a transaction: they get the budget's transactionMs. */
  transactions?: readonly (keyof T)[];
  /** The time the deadlines run on (virtual in the simulation). */
  clock?: Clock;
}

/**
 * Wraps every async method of a store so it fails with `unavailable` (503)
 * after the budget. Firestore's client retries an unreachable backend for up
 * to a minute; a PBX waiting on the ring path needs an answer in time to fall
 * back to a plain Dial instead. The deadline does not cancel the call: a
 * write may still land after it. Every caller is written for that (a PBX
 * retry finds the call and finishes it; transitions are idempotent).
 *
 * A call past its budget while the database answered other calls meanwhile
 * (this request's parallel reads, or other requests') is slow from load, not
 * an outage: it fails `busy` (429, retry in a second), as a transaction past
 * its budget (contention) does.
 */
export function withDeadline<T extends object>(
  store: T,
  budget: StoreBudget,
  options: DeadlineOptions<T> | readonly (keyof T)[] = {},
): T {
  const {
    except = [],
    transactions = [],
    clock = systemClock,
  } = Array.isArray(options)
    ? { except: options as readonly (keyof T)[] }
    : (options as DeadlineOptions<T>);
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || except.includes(property as keyof T)) return value;
      const ms = () =>
        transactions.includes(property as keyof T) ? budget.transactionMs : budget.ms;
      return (...args: unknown[]) => {
        const answeredBefore = budget.answered;
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) return result;
        const isTransaction = transactions.includes(property as keyof T);
        const stop = new AbortController();
        const timeout = clock.sleep(ms(), stop.signal).then(() => {
          // A cancelled timer (the call answered first) must not reject anything.
          if (stop.signal.aborted) return new Promise<never>(() => undefined);
          // A transaction that runs after the path's first read answered is, past its budget,
          // waiting on other transactions' locks (contention), not on a dead database.
          if (isTransaction && budget.readsFirst) throw busyError();
          // Other calls got their answers meanwhile: the database is up, this call waited
          // behind other work (a flood, a busy machine).
          if (budget.answered > answeredBefore) throw slowError();
          throw new AppError(
            'unavailable',
            'The database did not answer in time; try again shortly.',
          );
        });
        const answered = result.then((answer: unknown) => {
          budget.succeeded();
          return answer;
        });
        return Promise.race([answered, timeout]).finally(() => {
          stop.abort();
        });
      };
    },
  });
}
