import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { systemClock } from '../../../functions/core/clock';

/**
 * Runs `work` with the global timers watched: how many it set that are neither fired nor
 * cleared when it is done.
 */
async function leftTimers(work: () => Promise<unknown>): Promise<number> {
  const { setTimeout: set, clearTimeout: clear } = globalThis;
  const live = new Set<unknown>();
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    const timer = set(() => {
      live.delete(timer);
      fn();
    }, ms);
    live.add(timer);
    return timer;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((timer: NodeJS.Timeout) => {
    live.delete(timer);
    clear(timer);
  }) as typeof clearTimeout;
  try {
    await work();
  } finally {
    globalThis.setTimeout = set;
    globalThis.clearTimeout = clear;
  }
  for (const timer of live) clear(timer as NodeJS.Timeout);
  return live.size;
}

describe('systemClock', () => {
  it('sleeps for the time asked', async () => {
    const started = Date.now();
    await systemClock.sleep(20);
    assert.ok(Date.now() - started >= 19);
  });

  it('resolves at once for a signal already aborted, setting no timer', async () => {
    const left = await leftTimers(async () => {
      const sleeping = systemClock.sleep(60_000, AbortSignal.abort());
      // Settled already, it wins the race against the settled promise listed after it.
      assert.equal(await Promise.race([sleeping, Promise.resolve('asleep')]), undefined);
    });
    assert.equal(left, 0);
  });

  it('resolves early when its signal aborts, cancelling its timer and its listener', async () => {
    const stop = new AbortController();
    const left = await leftTimers(async () => {
      const sleeping = systemClock.sleep(60_000, stop.signal);
      assert.equal(getEventListeners(stop.signal, 'abort').length, 1);
      stop.abort();
      await sleeping;
    });
    assert.equal(left, 0, 'its timer is cleared');
    assert.equal(getEventListeners(stop.signal, 'abort').length, 0);
  });

  it('leaves no listener on the signal once it has slept', async () => {
    const stop = new AbortController();
    await systemClock.sleep(5, stop.signal);
    assert.equal(getEventListeners(stop.signal, 'abort').length, 0);
  });
});
