import { AppError } from '../core/errors';

/**
 * How long a database call may take: short once the client has answered
 * once, long before (a cold instance's first call sets up its channel and
 * credentials, which under load can take seconds on its own).
 */
export class StoreBudget {
  private warm = false;

  constructor(
    readonly warmMs: number,
    readonly coldMs: number,
  ) {}

  get ms(): number {
    return this.warm ? this.warmMs : this.coldMs;
  }

  succeeded(): void {
    this.warm = true;
  }
}

/**
 * Wraps every async method of a store so it fails with `unavailable` (503)
 * after the budget. Firestore's client retries an unreachable backend for up
 * to a minute; a PBX waiting on the ring path needs an answer in time to fall
 * back to a plain Dial instead. Methods in `except` (long-polls) are left as is.
 */
export function withDeadline<T extends object>(
  store: T,
  budget: StoreBudget,
  except: readonly (keyof T)[] = [],
): T {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || except.includes(property as keyof T)) return value;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) return result;
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => {
            reject(
              new AppError(
                'unavailable',
                'The database did not answer in time; try again shortly.',
              ),
            );
          }, budget.ms);
        });
        const answered = result.then((answer: unknown) => {
          budget.succeeded();
          return answer;
        });
        return Promise.race([answered, timeout]).finally(() => {
          clearTimeout(timer);
        });
      };
    },
  });
}
