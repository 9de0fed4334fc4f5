import { AppError } from '../core/errors';

/**
 * Wraps every async method of a store so it fails with `unavailable` (503)
 * after `ms`. Firestore's client retries an unreachable backend for up to a
 * minute; a PBX waiting on the ring path needs an answer in time to fall
 * back to a plain Dial instead. Methods in `except` (long-polls) are left as is.
 */
export function withDeadline<T extends object>(
  store: T,
  ms: number,
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
          }, ms);
        });
        return Promise.race([result, timeout]).finally(() => {
          clearTimeout(timer);
        });
      };
    },
  });
}
