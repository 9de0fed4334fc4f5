import assert from 'node:assert/strict';
import type { EventServices } from '../../../functions/triggers/eventServices';
import {
  handleAnswerWritten,
  LONG_POLL_ENDING_MS,
  REQUEST_SETTLES_WITHIN_MS,
} from '../../../functions/triggers/handleAnswerWritten';
import { FakeCallStore } from '../../support/fakeCallStore';
import { FakeClock } from '../../support/fakeClock';
import { FakeLongPolls } from '../../support/fakes';
import { NOW, ringingCall } from '../core/fixtures';

describe('handleAnswerWritten: the answer trigger', () => {
  let clock: FakeClock;
  let calls: FakeCallStore;
  let longPolls: FakeLongPolls;
  let warnings: string[];
  const call = ringingCall({ deliveries: {} });
  // The fake store keeps the object it is given: each test stores a copy.
  const answer = { action: 'accept' as const, deviceId: 'pixel-8', uid: 'uid-alice' };

  beforeEach(async () => {
    clock = new FakeClock(NOW);
    calls = new FakeCallStore(clock);
    longPolls = new FakeLongPolls();
    warnings = [];
    await calls.createOnce(structuredClone(call));
  });

  const services = () =>
    Promise.resolve({
      calls,
      longPolls,
      clock,
      log: {
        info: () => undefined,
        warn: (message: string) => warnings.push(message),
        error: () => undefined,
      },
    } as unknown as EventServices);
  const event = (door?: 'api', createdAt?: number) =>
    handleAnswerWritten(
      {
        tenant: call.tenant,
        callUuid: call.callUuid,
        deviceId: answer.deviceId,
        time: new Date(clock.now()).toISOString(),
        ...(createdAt === undefined ? {} : { createdAt }),
        data: { ...answer, answeredAt: { toMillis: () => clock.now() }, ...(door ? { door } : {}) },
      },
      services,
    );

  it('settles an answer written through Firestore at once', async () => {
    await calls.createAnswer(call.tenant, call.callUuid, { ...answer, answeredAt: NOW }, 'sdk');
    await event();
    assert.deepEqual(
      calls.settlements.map((s) => [s.deviceId, s.outcome, s.at]),
      [['pixel-8', 'won', NOW]],
    );
  });

  it("leaves the HTTPS route's answer to the route, watching the call instead of racing it", async () => {
    const stored = { ...answer, answeredAt: NOW };
    const settle = calls.settleAnswer.bind(calls);
    let transactions = 0;
    calls.settleAnswer = (...args) => {
      transactions += 1;
      return settle(...args);
    };
    await calls.createAnswer(call.tenant, call.callUuid, stored, 'api');
    const run = event('api');
    await clock.sleep(40); // the route settles 40 ms later, in its own request
    assert.equal(await calls.settleAnswer(call.tenant, call.callUuid, stored, clock.now()), 'won');
    await run;
    assert.equal(transactions, 1, "the route's only: none of the trigger's");
    assert.ok(clock.now() < NOW + REQUEST_SETTLES_WITHIN_MS, 'the trigger did not wait it out');
  });

  it('settles the HTTPS route’s answer itself when the route never did (its instance died)', async () => {
    await calls.createAnswer(call.tenant, call.callUuid, { ...answer, answeredAt: NOW }, 'api');
    await event('api');
    assert.deepEqual(
      calls.settlements.map((s) => [s.outcome, s.at]),
      [['won', NOW + REQUEST_SETTLES_WITHIN_MS]],
    );
    assert.equal((await calls.get(call.tenant, call.callUuid))?.status, 'accepted');
  });

  /** Counts the settling transactions anyone makes on the fake store. */
  function countSettles(): { count: number } {
    const counted = { count: 0 };
    const settle = calls.settleAnswer.bind(calls);
    calls.settleAnswer = (...args) => {
      counted.count += 1;
      return settle(...args);
    };
    return counted;
  }

  it('leaves an answer written through Firestore to the long-poll that watches the call', async () => {
    const stored = { ...answer, answeredAt: NOW };
    await longPolls.hold(call.tenant, call.callUuid, 10, NOW, 30_000);
    const settles = countSettles();
    await calls.createAnswer(call.tenant, call.callUuid, stored, 'sdk');
    const run = event();
    await clock.sleep(40); // the long-poll's watcher settles it
    assert.equal(await calls.settleAnswer(call.tenant, call.callUuid, stored, clock.now()), 'won');
    await run;
    assert.equal(settles.count, 1, "the long-poll's only: none of the trigger's");
    assert.ok(clock.now() < NOW + REQUEST_SETTLES_WITHIN_MS, 'the trigger did not wait it out');
  });

  it('settles at once an answer written before the long-poll was held: that one found it there and leaves it to the trigger', async () => {
    await calls.createAnswer(call.tenant, call.callUuid, { ...answer, answeredAt: NOW }, 'sdk');
    // Held 30 ms after the answer's creation, then at the same millisecond: neither before it.
    await longPolls.hold(call.tenant, call.callUuid, 10, NOW + 30, 30_000);
    await longPolls.hold(call.tenant, call.callUuid, 10, NOW, 30_000);
    await clock.sleep(200); // the trigger runs after both were held
    await event(undefined, NOW);
    assert.deepEqual(
      calls.settlements.map((s) => [s.outcome, s.at]),
      [['won', NOW + 200]],
    );
  });

  it('waits for a long-poll held before the answer was written', async () => {
    await longPolls.hold(call.tenant, call.callUuid, 10, NOW - 1, 30_000);
    await calls.createAnswer(call.tenant, call.callUuid, { ...answer, answeredAt: NOW }, 'sdk');
    await event(undefined, NOW);
    assert.deepEqual(
      calls.settlements.map((s) => [s.outcome, s.at]),
      [['won', NOW + REQUEST_SETTLES_WITHIN_MS]],
    );
  });

  it('settles the answer itself when the watching long-poll never did (its instance died)', async () => {
    await longPolls.hold(call.tenant, call.callUuid, 10, NOW, 30_000);
    await calls.createAnswer(call.tenant, call.callUuid, { ...answer, answeredAt: NOW }, 'sdk');
    await event();
    assert.deepEqual(
      calls.settlements.map((s) => [s.outcome, s.at]),
      [['won', NOW + REQUEST_SETTLES_WITHIN_MS]],
    );
  });

  it("does not wait on another call's long-poll, nor on one about to end", async () => {
    await longPolls.hold(call.tenant, 'another-call', 10, NOW, 30_000);
    await longPolls.hold(call.tenant, call.callUuid, 10, NOW, LONG_POLL_ENDING_MS);
    await calls.createAnswer(call.tenant, call.callUuid, { ...answer, answeredAt: NOW }, 'sdk');
    await event();
    assert.deepEqual(
      calls.settlements.map((s) => [s.outcome, s.at]),
      [['won', NOW]],
    );
  });

  it('settles a late answer at once when the call stops ringing while it waits', async () => {
    await longPolls.hold(call.tenant, call.callUuid, 10, NOW, 30_000);
    await calls.createAnswer(call.tenant, call.callUuid, { ...answer, answeredAt: NOW }, 'sdk');
    const run = event();
    await clock.sleep(40);
    // Another phone's answer won (settled by the long-poll, which then stops watching).
    const other = { action: 'accept' as const, deviceId: 'iphone-15', uid: 'uid-bob' };
    await calls.createAnswer(call.tenant, call.callUuid, { ...other, answeredAt: NOW + 40 }, 'sdk');
    await calls.settleAnswer(
      call.tenant,
      call.callUuid,
      { ...other, answeredAt: NOW + 40 },
      NOW + 40,
    );
    await run;
    assert.deepEqual(
      calls.settlements.map((s) => [s.deviceId, s.outcome, s.at]),
      [
        ['iphone-15', 'won', NOW + 40],
        ['pixel-8', 'late', NOW + 40],
      ],
    );
  });

  it('settles at once, with a warning, when it cannot tell whether a long-poll watches', async () => {
    longPolls.watching = () => Promise.reject(Object.assign(new Error('down'), { code: 14 }));
    await calls.createAnswer(call.tenant, call.callUuid, { ...answer, answeredAt: NOW }, 'sdk');
    await event();
    assert.deepEqual(
      calls.settlements.map((s) => [s.outcome, s.at]),
      [['won', NOW]],
    );
    assert.equal(warnings.length, 1);
  });
});
