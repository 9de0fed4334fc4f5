import { isDeepStrictEqual } from 'node:util';

/**
 * How long one emulator test may take before mocha calls it hung: generous, because CI runs
 * on a 2-core machine that may be busy with other work (tests wait on conditions, never on a
 * clock, so a slow machine only makes them slower).
 */
export const SUITE_TIMEOUT_MS = 300_000;

/** How long a condition may take to come true before a test gives up on it. */
export const CONDITION_TIMEOUT_MS = 60_000;

/**
 * How long what earlier tests set going may take to drain. The emulators deliver one Firestore
 * trigger event at a time (the logs show each onCallWritten begin only once the one before has
 * finished; a deployment runs them side by side), so the cancels of a burst of calls queue
 * behind each other: after the flood suite, one took 60.6 s to go out.
 */
export const DRAIN_TIMEOUT_MS = 180_000;

/** Polls `probe` until it returns a value (not undefined/false) or `timeoutMs` passes. */
export async function eventually<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = CONDITION_TIMEOUT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Reads `read` until two reads 300 ms apart agree, and `ready` (when given) holds, and returns
 * that value: the state once everything an earlier step set going (a trigger, a push record, a
 * cancel) has landed. Agreement alone cannot see work queued but not begun (a trigger not yet
 * run): `ready` names what must be finished.
 */
export async function settled<T>(
  read: () => Promise<T>,
  what: string,
  ready: () => Promise<boolean> = () => Promise.resolve(true),
  timeoutMs = CONDITION_TIMEOUT_MS,
): Promise<T> {
  let last = await read();
  return eventually(
    async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const next = await read();
      const same = isDeepStrictEqual(next, last);
      last = next;
      return same && (await ready()) && next;
    },
    `${what} to settle`,
    timeoutMs,
  );
}
