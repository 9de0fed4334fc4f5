import assert from 'node:assert/strict';
import type { EventServices } from '../../../functions/triggers/eventServices';
import {
  handleAnswerWritten,
  ROUTE_SETTLES_WITHIN_MS,
} from '../../../functions/triggers/handleAnswerWritten';
import { FakeCallStore } from '../../support/fakeCallStore';
import { FakeClock } from '../../support/fakeClock';
import { NOW, ringingCall } from '../core/fixtures';

describe('handleAnswerWritten: the answer trigger', () => {
  let clock: FakeClock;
  let calls: FakeCallStore;
  const call = ringingCall({ deliveries: {} });
  // The fake store keeps the object it is given: each test stores a copy.
  const answer = { action: 'accept' as const, deviceId: 'pixel-8', uid: 'uid-alice' };

  beforeEach(async () => {
    clock = new FakeClock(NOW);
    calls = new FakeCallStore(clock);
    await calls.createOnce(structuredClone(call));
  });

  const services = () =>
    Promise.resolve({
      calls,
      clock,
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    } as unknown as EventServices);
  const event = (door?: 'api') =>
    handleAnswerWritten(
      {
        tenant: call.tenant,
        callUuid: call.callUuid,
        deviceId: answer.deviceId,
        time: new Date(clock.now()).toISOString(),
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
    assert.ok(clock.now() < NOW + ROUTE_SETTLES_WITHIN_MS, 'the trigger did not wait it out');
  });

  it('settles the HTTPS route’s answer itself when the route never did (its instance died)', async () => {
    await calls.createAnswer(call.tenant, call.callUuid, { ...answer, answeredAt: NOW }, 'api');
    await event('api');
    assert.deepEqual(
      calls.settlements.map((s) => [s.outcome, s.at]),
      [['won', NOW + ROUTE_SETTLES_WITHIN_MS]],
    );
    assert.equal((await calls.get(call.tenant, call.callUuid))?.status, 'accepted');
  });
});
