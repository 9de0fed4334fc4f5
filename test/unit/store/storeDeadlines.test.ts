import assert from 'node:assert/strict';
import { AppError } from '../../../functions/core/errors';
import type { CallStore, DeviceStore } from '../../../functions/core/ports';
import { StoreBudget } from '../../../functions/store/deadline';
import { callsWithDeadline, devicesWithDeadline } from '../../../functions/store/storeDeadlines';
import { eventStoreBudget } from '../../../functions/wiring/budgets';
import { FakeClock } from '../../support/fakeClock';

/** A store whose every method hangs, as Firestore's client does while the backend is gone. */
function hung<T extends object>(methods: (keyof T)[]): T {
  return Object.fromEntries(
    methods.map((m) => [m, () => new Promise(() => undefined)]),
  ) as unknown as T;
}

const CALL_METHODS: (keyof CallStore)[] = [
  'createOnce',
  'get',
  'transition',
  'settleAnswer',
  'createAnswer',
  'createReceipt',
];
const DEVICE_METHODS: (keyof DeviceStore)[] = [
  'listByExtension',
  'listForRing',
  'upsert',
  'get',
  'remove',
  'dropToken',
  'setApnsEnv',
  'getMany',
];

describe('store deadlines on every request and event path', () => {
  it('every call and device store call fails in time: 503 for a read or write, 429 busy for a transaction after a read', async () => {
    const budget = new StoreBudget(20, 20, 40, true);
    const clock = new FakeClock();
    const calls = callsWithDeadline(hung<CallStore>(CALL_METHODS), budget, clock);
    const devices = devicesWithDeadline(hung<DeviceStore>(DEVICE_METHODS), budget, clock);
    const started = clock.now();
    const all = [
      ...CALL_METHODS.map((m) => (calls[m] as () => Promise<unknown>)()),
      ...DEVICE_METHODS.map((m) => (devices[m] as () => Promise<unknown>)()),
    ];
    const outcomes = await Promise.allSettled(all);
    const names = [...CALL_METHODS, ...DEVICE_METHODS];
    const transactions = [
      'transition',
      'settleAnswer',
      'upsert',
      'remove',
      'dropToken',
      'setApnsEnv',
    ];
    outcomes.forEach((outcome, i) => {
      const name = String(names[i]);
      if (outcome.status !== 'rejected') assert.fail(`${name} did not fail`);
      const reason: unknown = outcome.reason;
      // A transaction runs after the request's first read answered: past its budget it waits on
      // other transactions' locks (contention: retry), not on a dead database.
      const expected = transactions.includes(name) ? 429 : 503;
      assert.ok(reason instanceof AppError && reason.status === expected, name);
    });
    // Virtual time: a cold instance's budget (20 ms) bounds every call, transactions too.
    assert.equal(clock.now() - started, 20);
  });

  it('fails a transaction past its budget as unavailable where it may be the first call (events)', async () => {
    const clock = new FakeClock();
    for (const budget of [eventStoreBudget(), new StoreBudget(20, 20, 40)]) {
      const calls = callsWithDeadline(hung<CallStore>(CALL_METHODS), budget, clock);
      const devices = devicesWithDeadline(hung<DeviceStore>(DEVICE_METHODS), budget, clock);
      for (const pending of [
        calls.settleAnswer(
          't',
          'c',
          { action: 'accept', deviceId: 'd', uid: 'u', answeredAt: 0 },
          0,
        ),
        calls.transition('t', 'c', () => null),
        devices.dropToken('t', 'd', 'token'),
      ]) {
        await assert.rejects(pending, (err: unknown) => {
          assert.ok(err instanceof AppError);
          assert.equal(err.code, 'unavailable');
          return true;
        });
      }
    }
  });

  it('gives transactions their own budget, and leaves the long-poll its own timeout', async () => {
    const budget = new StoreBudget(5, 5, 60);
    budget.succeeded();
    let done = false;
    const slow = {
      transition: () =>
        new Promise((resolve) =>
          setTimeout(() => {
            done = true;
            resolve(null);
          }, 20),
        ),
      waitFor: () =>
        new Promise((resolve) =>
          setTimeout(() => {
            resolve('late');
          }, 20),
        ),
    } as unknown as CallStore;
    const calls = callsWithDeadline(slow, budget);
    assert.equal(await calls.transition('t', 'c', () => null), null);
    assert.ok(done);
    assert.equal(await calls.waitFor('t', 'c', () => true, 1), 'late');
  });
});
