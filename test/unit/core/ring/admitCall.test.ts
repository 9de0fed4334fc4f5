import assert from 'node:assert/strict';
import { admitCall } from '../../../../functions/core/ring/admitCall';
import type { AppError } from '../../../../functions/core/errors';
import { FakeCallCounts, FakeCallStore, FakeClock } from '../../../support/fakes';
import { ringingCall } from '../fixtures';

describe('admitCall: the tenant-wide call limits', () => {
  let clock: FakeClock;
  let calls: FakeCallStore;
  const tenant = { id: 'acme', limits: { calls_per_second: 2, calls_in_flight: 3 } };
  const admit = (uuid: string, who = tenant) =>
    admitCall({ counts: new FakeCallCounts(calls), calls }, who, uuid, clock.now());

  beforeEach(() => {
    clock = new FakeClock();
    calls = new FakeCallStore(clock);
  });

  const created = async (uuid: string, extra: Record<string, unknown> = {}) => {
    await calls.createOnce(
      ringingCall({
        callUuid: uuid,
        callId: uuid,
        createdAt: clock.now(),
        expiresAt: clock.now() + 30_000,
        ...extra,
      }),
    );
  };

  it('admits up to the calls per second, over the last second, then answers 429 calls_per_second', async () => {
    await admit('c1');
    await created('c1');
    await admit('c2');
    await created('c2');
    await assert.rejects(admit('c3'), (err: AppError) => {
      assert.equal(err.code, 'rate_limited');
      assert.equal(err.limit, 'calls_per_second');
      assert.equal(err.retryAfter, 1);
      assert.equal(
        err.message,
        'More than 2 new calls in the last second for this tenant; ring this one directly.',
      );
      return true;
    });
    clock.current += 1_001;
    await admit('c3');
  });

  it('admits up to the calls ringing, then 429 calls_in_flight until one ends or expires', async () => {
    for (const uuid of ['c1', 'c2', 'c3']) {
      await created(uuid);
      clock.current += 1_000;
    }
    await assert.rejects(admit('c4'), (err: AppError) => {
      assert.equal(err.limit, 'calls_in_flight');
      assert.equal(
        err.message,
        '3 calls of this tenant are ringing already; ring this one directly.',
      );
      return true;
    });
    await calls.transition('acme', 'c1', () => ({ status: 'cancelled' }));
    await admit('c4');
    await created('c4');
    await assert.rejects(admit('c5'));
    clock.current += 30_000; // c2 is past its ring deadline: no longer in flight
    await admit('c5');
  });

  it('lets a retry of a call already made through, whatever the counts', async () => {
    for (const uuid of ['c1', 'c2', 'c3']) await created(uuid);
    await admit('c1');
    await assert.rejects(admit('c4'));
  });

  it('counts each tenant apart, and takes the defaults without numbers of its own', async () => {
    for (const uuid of ['c1', 'c2', 'c3']) await created(uuid);
    // globex has no numbers of its own (10 a second, 100 ringing), and acme's calls are acme's.
    await admit('x1', { id: 'globex' } as typeof tenant);
  });
});
