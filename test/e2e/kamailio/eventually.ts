import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `probe` until it returns something truthy, or fails after `ms`. */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  what: string,
  ms = 15_000,
): Promise<Exclude<T, false | 0 | '' | null | undefined>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value as Exclude<T, false | 0 | '' | null | undefined>;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}
