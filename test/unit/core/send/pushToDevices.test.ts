import assert from 'node:assert/strict';
import { fanOut, type FanOutPlan } from '../../../../functions/core/send/pushToDevices';
import type { RenderedPush } from '../../../../functions/core/send/push';
import { FakeClock, FakeDeviceStore, FakeSender, UNUSED_SENDER } from '../../../support/fakes';

const CALL = { tenant: 'acme', callId: 'c-1', callUuid: 'uuid-1' };
const UNAVAILABLE = {
  kind: 'failed',
  retryable: true,
  status: 503,
  reason: 'UNAVAILABLE',
} as const;

const push = (token: string): RenderedPush => ({
  provider: 'fcm',
  url: 'https://fcm.example/send',
  method: 'POST',
  headers: {},
  body: {},
  token,
});

const plan = (deviceId: string, token: string): FanOutPlan => ({
  deviceId,
  provider: 'fcm',
  token,
  push: push(token),
});

describe('fanOut', () => {
  let clock: FakeClock;
  let fcm: FakeSender;

  beforeEach(() => {
    clock = new FakeClock();
    fcm = new FakeSender(clock);
  });

  const run = (plans: FanOutPlan[], policy?: Parameters<typeof fanOut>[3]['policy']) =>
    fanOut(CALL, plans, clock.now() + 8_000, {
      devices: new FakeDeviceStore(),
      senders: { fcm, apns: UNUSED_SENDER, webpush: UNUSED_SENDER, hms: UNUSED_SENDER },
      clock,
      ...(policy ? { policy } : {}),
    });

  it('sends every device its push, each with its own outcome', async () => {
    fcm.script('bad', { kind: 'failed', retryable: false, status: 400, reason: 'INVALID' });
    const outcomes = await run([plan('a', 'good'), plan('b', 'bad')]);
    assert.equal(outcomes.a?.status, 'accepted');
    assert.equal(outcomes.b?.status, 'failed');
    assert.deepEqual(fcm.sent.map((s) => s.push.token).sort(), ['bad', 'good']);
  });

  it('retries each push as the retry policy it is given says', async () => {
    fcm.script('flaky', UNAVAILABLE, UNAVAILABLE, UNAVAILABLE);
    const once = await run([plan('a', 'flaky')], {
      maxAttempts: 1,
      baseDelayMs: 100,
      maxDelayMs: 100,
      minAttemptMs: 10,
    });
    assert.equal(once.a?.status, 'failed');
    assert.equal(fcm.sentTo('flaky').length, 1, 'one attempt, as the policy says');

    fcm.sent.length = 0;
    // (A script's last reply repeats.)
    fcm.script('flaky', UNAVAILABLE, UNAVAILABLE, { kind: 'accepted', status: 200 });
    const withDefault = await run([plan('a', 'flaky')]);
    assert.equal(withDefault.a?.status, 'accepted');
    assert.equal(fcm.sentTo('flaky').length, 3, 'the default policy retried');
  });
});
