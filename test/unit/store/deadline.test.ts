import assert from 'node:assert/strict';
import { AppError } from '../../../functions/core/errors';
import { StoreBudget, withDeadline } from '../../../functions/store/deadline';
import { FakeClock } from '../../support/fakeClock';

class SlowStore {
  calls = 0;
  fast(): Promise<string> {
    this.calls += 1;
    return Promise.resolve('ok');
  }
  hang(): Promise<string> {
    return new Promise(() => undefined);
  }
  waitFor(): Promise<string> {
    return new Promise((resolve) =>
      setTimeout(() => {
        resolve('late');
      }, 40),
    );
  }
}

describe('withDeadline', () => {
  it('passes results through, with `this` bound to the store', async () => {
    const store = new SlowStore();
    assert.equal(await withDeadline(store, new StoreBudget(20, 20)).fast(), 'ok');
    assert.equal(store.calls, 1);
  });

  it('turns a hung database call into a 503 unavailable after the deadline', async () => {
    const clock = new FakeClock();
    const started = clock.now();
    await assert.rejects(
      withDeadline(new SlowStore(), new StoreBudget(20, 20), { clock }).hang(),
      (err: unknown) => {
        assert.ok(err instanceof AppError);
        assert.equal(err.status, 503);
        return true;
      },
    );
    assert.equal(clock.now() - started, 20);
  });

  it('answers 429 busy, not 503, for a call past its budget while the database answered others', async () => {
    const clock = new FakeClock();
    const store = withDeadline(new SlowStore(), new StoreBudget(20, 20), { clock });
    const slow = store.hang();
    // Another call (this request's parallel read, or another request's) gets its answer.
    assert.equal(await store.fast(), 'ok');
    await assert.rejects(slow, (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.status, 429);
      assert.equal(err.code, 'busy');
      return true;
    });
    // An answer from before the call started says nothing about the database now.
    await assert.rejects(store.hang(), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.status, 503);
      return true;
    });
  });

  it('leaves no timer behind once the call answers', async () => {
    const clock = new FakeClock();
    assert.equal(
      await withDeadline(new SlowStore(), new StoreBudget(20, 20), { clock }).fast(),
      'ok',
    );
    assert.equal(clock.pending, 0);
  });

  it('gives a cold client its long budget until its first answer', async () => {
    const budget = new StoreBudget(10, 1_000);
    const store = withDeadline(new SlowStore(), budget);
    assert.equal(budget.ms, 1_000);
    await store.fast();
    assert.equal(budget.ms, 10);
  });

  it('leaves excepted methods (long-polls) alone', async () => {
    assert.equal(
      await withDeadline(new SlowStore(), new StoreBudget(5, 5), ['waitFor']).waitFor(),
      'late',
    );
  });
});
