import assert from 'node:assert/strict';
import { deliver, mayHaveReached } from '../../../../functions/core/send/deliverPush';
import type { PushMeta, RenderedPush, SendResult } from '../../../../functions/core/send/push';
import { DEFAULT_RETRY_POLICY } from '../../../../functions/core/send/retryPolicy';
import { FakeClock, FakeSender } from '../../../support/fakes';

const TOKEN = 'device-token-1';
const PUSH: RenderedPush = {
  provider: 'fcm',
  url: 'https://fcm.test/v1/projects/p/messages:send',
  method: 'POST',
  headers: {},
  body: { message: { token: TOKEN } },
  token: TOKEN,
};
const META: PushMeta = { tenant: 'acme', callId: 'c1', callUuid: 'u1', deviceId: 'd1' };
const unavailable: SendResult = {
  kind: 'failed',
  retryable: true,
  status: 503,
  reason: 'UNAVAILABLE',
};

describe('deliver', () => {
  let clock: FakeClock;
  let start: number;

  beforeEach(() => {
    clock = new FakeClock();
    start = clock.now();
  });

  it('sends once and reports an accepted push', async () => {
    const sender = new FakeSender(clock).script(TOKEN, {
      kind: 'accepted',
      status: 200,
      providerId: 'm-1',
    });
    const result = await deliver(sender, PUSH, start + 10_000, META, { clock });
    assert.deepEqual(result, {
      status: 'accepted',
      attempts: 1,
      providerStatus: 200,
      providerId: 'm-1',
      pushedAt: start,
      settledAt: start,
    });
    assert.equal(sender.sent.length, 1);
    assert.equal(sender.sent[0]!.push, PUSH);
    assert.equal(sender.sent[0]!.deadline, start + 10_000);
    assert.deepEqual(sender.sent[0]!.meta, META);
  });

  it('reports an acceptance that came without a status or id with neither field', async () => {
    // A record with an undefined field is refused by Firestore: the field must be absent.
    const sender = new FakeSender(clock).script(TOKEN, { kind: 'accepted' });
    const result = await deliver(sender, PUSH, start + 10_000, META, { clock });
    assert.deepEqual(result, {
      status: 'accepted',
      attempts: 1,
      pushedAt: start,
      settledAt: start,
    });
  });

  it('retries a 503 after a backoff, then reports the acceptance after 2 attempts', async () => {
    const sender = new FakeSender(clock).script(TOKEN, unavailable, {
      kind: 'accepted',
      status: 200,
    });
    const result = await deliver(sender, PUSH, start + 10_000, META, { clock });
    assert.equal(result.status, 'accepted');
    assert.equal(result.attempts, 2);
    assert.equal(result.providerStatus, 200);
    assert.equal(clock.sleeps.length, 1);
    const [delay] = clock.sleeps;
    assert.ok(delay! >= 100 && delay! <= 200, `first backoff ${delay}`);
    assert.equal(result.pushedAt, start);
    assert.equal(result.settledAt, start + delay!);
  });

  const finalReplies: [string, SendResult & { status: number; reason: string }][] = [
    ['a dead token', { kind: 'dead_token', status: 404, reason: 'UNREGISTERED' }],
    [
      'a permanent failure',
      { kind: 'failed', retryable: false, status: 400, reason: 'INVALID_ARGUMENT' },
    ],
  ];
  for (const [what, reply] of finalReplies) {
    it(`stops at ${what} without retrying`, async () => {
      const sender = new FakeSender(clock).script(TOKEN, reply);
      const result = await deliver(sender, PUSH, start + 10_000, META, { clock });
      assert.deepEqual(result, {
        status: reply.kind,
        attempts: 1,
        providerStatus: reply.status,
        reason: reply.reason,
        pushedAt: start,
        settledAt: start,
      });
      assert.deepEqual(clock.sleeps, []);
    });
  }

  it('gives up after maxAttempts when there is time for all of them', async () => {
    const sender = new FakeSender(clock).script(TOKEN, unavailable);
    const result = await deliver(sender, PUSH, start + 60_000, META, { clock });
    assert.equal(result.status, 'failed');
    assert.equal(result.attempts, DEFAULT_RETRY_POLICY.maxAttempts);
    assert.equal(result.reason, 'UNAVAILABLE');
    assert.equal(result.providerStatus, 503);
    assert.equal(sender.sent.length, 5);
  });

  it('stops retrying before the deadline, in virtual time', async () => {
    // Each send takes 300 virtual ms; the deadline leaves room for a few attempts only.
    const sender = new FakeSender(clock, 300).script(TOKEN, unavailable);
    const deadline = start + 1_500;
    const result = await deliver(sender, PUSH, deadline, META, { clock });
    assert.equal(result.status, 'failed');
    assert.ok(
      result.attempts >= 2 && result.attempts < DEFAULT_RETRY_POLICY.maxAttempts,
      `${result.attempts} attempts`,
    );
    for (const sent of sender.sent) {
      assert.ok(
        sent.at + DEFAULT_RETRY_POLICY.minAttemptMs <= deadline,
        `an attempt started at +${sent.at - start} ms, too close to the deadline`,
      );
      assert.equal(sent.deadline, deadline);
    }
    assert.ok(result.settledAt <= deadline, 'settled after the deadline');
  });

  it('makes a single attempt when the deadline leaves no room to retry', async () => {
    const sender = new FakeSender(clock).script(TOKEN, unavailable);
    const result = await deliver(sender, PUSH, start + 200, META, { clock });
    assert.equal(result.attempts, 1);
    assert.equal(result.status, 'failed');
    assert.deepEqual(clock.sleeps, []);
  });

  it('waits out a Retry-After before the next attempt', async () => {
    const sender = new FakeSender(clock).script(
      TOKEN,
      {
        kind: 'failed',
        retryable: true,
        status: 429,
        reason: 'QUOTA_EXCEEDED',
        retryAfterMs: 3_000,
      },
      { kind: 'accepted', status: 200 },
    );
    const result = await deliver(sender, PUSH, start + 10_000, META, { clock });
    assert.deepEqual(clock.sleeps, [3_000]);
    assert.equal(result.attempts, 2);
    assert.equal(sender.sent[1]!.at, start + 3_000);
  });

  it('treats a sender that throws as a retryable failure', async () => {
    const sender = new FakeSender(clock).script(TOKEN, new Error('socket hang up'), {
      kind: 'accepted',
      status: 200,
    });
    const result = await deliver(sender, PUSH, start + 10_000, META, { clock });
    assert.equal(result.status, 'accepted');
    assert.equal(result.attempts, 2);
  });

  it('reports sender_error as unknown (it may have sent), without a provider status, when the sender keeps throwing', async () => {
    const sender = new FakeSender(clock).script(TOKEN, new Error('boom'));
    const result = await deliver(sender, PUSH, start + 60_000, META, { clock });
    assert.equal(result.status, 'unknown');
    assert.equal(result.reason, 'sender_error');
    assert.equal(result.attempts, DEFAULT_RETRY_POLICY.maxAttempts);
    assert.equal('providerStatus' in result, false);
  });
});

describe('deliver: retries, deadlines and the other APNs environment', () => {
  let clock: FakeClock;
  let start: number;
  beforeEach(() => {
    clock = new FakeClock();
    start = clock.now();
  });
  const voip = (env: 'production' | 'sandbox'): RenderedPush => ({
    ...PUSH,
    provider: 'apns',
    url: `https://apns-${env}.test/3/device/${TOKEN}`,
    apnsEnv: env,
  });
  const render = (now: number, env?: 'production' | 'sandbox') => voip(env ?? 'production');
  const bad: SendResult = { kind: 'dead_token', status: 400, reason: 'BadDeviceToken' };
  const accepted: SendResult = { kind: 'accepted', status: 200 };
  /** An APNs that answers per environment, in order. */
  function apns(answers: Record<'production' | 'sandbox', SendResult[]>) {
    const sent: RenderedPush[] = [];
    return {
      sent,
      send(push: RenderedPush): Promise<SendResult> {
        sent.push(push);
        const queue = answers[push.apnsEnv ?? 'production'];
        return Promise.resolve((queue.length > 1 ? queue.shift() : queue[0]) ?? accepted);
      },
    };
  }

  it('tries the other APNs environment once after BadDeviceToken, and reports where it rang', async () => {
    const sender = apns({ production: [bad], sandbox: [accepted] });
    const result = await deliver(sender, render, start + 10_000, META, { clock });
    assert.deepEqual(
      sender.sent.map((p) => p.apnsEnv),
      ['production', 'sandbox'],
    );
    assert.equal(result.status, 'accepted');
    assert.equal(result.apnsEnv, 'sandbox');
    assert.deepEqual(clock.sleeps, [], 'no backoff before the other environment');
  });

  it('calls a token dead only when both environments say BadDeviceToken', async () => {
    const result = await deliver(
      apns({ production: [bad], sandbox: [bad] }),
      render,
      start + 10_000,
      META,
      { clock },
    );
    assert.equal(result.status, 'dead_token');
    assert.equal(result.attempts, 2);
  });

  it('keeps the token when the other environment only fails for now', async () => {
    const unavailable: SendResult = { kind: 'failed', retryable: true, status: 503, reason: 'x' };
    const sender = apns({ production: [bad], sandbox: [unavailable] });
    const result = await deliver(sender, render, start + 1_000, META, { clock });
    assert.equal(result.status, 'failed');
    assert.notEqual(result.reason, undefined);
  });

  it('keeps the token when the deadline leaves no time for the other environment', async () => {
    const sender = apns({ production: [bad], sandbox: [accepted] });
    const result = await deliver(sender, render, start + 100, META, { clock });
    assert.equal(sender.sent.length, 1);
    assert.equal(result.status, 'failed');
    assert.equal(result.reason, 'BadDeviceToken');
  });

  it('takes 410 Unregistered as definitive, in one environment', async () => {
    const gone: SendResult = { kind: 'dead_token', status: 410, reason: 'Unregistered' };
    const sender = apns({ production: [gone], sandbox: [accepted] });
    const result = await deliver(sender, render, start + 10_000, META, { clock });
    assert.equal(sender.sent.length, 1);
    assert.equal(result.status, 'dead_token');
  });

  it('asks before every retry whether the push is still wanted, and stops when not', async () => {
    const sender = new FakeSender(clock).script(TOKEN, unavailable);
    let asked = 0;
    const result = await deliver(sender, PUSH, start + 10_000, META, {
      clock,
      stillWanted: () => Promise.resolve(++asked < 2),
    });
    assert.equal(sender.sent.length, 2);
    assert.equal(asked, 2);
    assert.equal(result.status, 'failed');
    assert.equal(result.reason, 'stopped');
  });

  it('stops when the check itself fails: no push is sent blind', async () => {
    const sender = new FakeSender(clock).script(TOKEN, unavailable);
    await deliver(sender, PUSH, start + 10_000, META, {
      clock,
      stillWanted: () => Promise.reject(new Error('store down')),
    });
    assert.equal(sender.sent.length, 1);
  });

  it('reports unknown when an attempt went unanswered, even if a later one was refused', async () => {
    const sender = new FakeSender(clock).script(
      TOKEN,
      { kind: 'failed', retryable: true, reason: 'timeout' },
      unavailable,
    );
    const result = await deliver(sender, PUSH, start + 10_000, META, {
      clock,
      policy: { ...DEFAULT_RETRY_POLICY, maxAttempts: 2 },
    });
    assert.equal(result.status, 'unknown');
    assert.equal(result.providerStatus, 503);
  });

  it('renders each attempt at its own time', async () => {
    const times: number[] = [];
    const sender = new FakeSender(clock, 700).script(TOKEN, unavailable, accepted);
    await deliver(
      sender,
      (now) => {
        times.push(now - start);
        return PUSH;
      },
      start + 10_000,
      META,
      { clock, random: () => 0 },
    );
    assert.deepEqual(times, [0, 700 + 100]);
  });

  it('sends nothing once the deadline has passed', async () => {
    const sender = new FakeSender(clock);
    const result = await deliver(sender, PUSH, start, META, { clock });
    assert.equal(sender.sent.length, 0);
    assert.equal(result.reason, 'deadline');
  });
});

describe('deliver: where an APNs answer may lead', () => {
  let clock: FakeClock;
  let start: number;
  beforeEach(() => {
    clock = new FakeClock();
    start = clock.now();
  });
  const bad: SendResult = { kind: 'dead_token', status: 400, reason: 'BadDeviceToken' };
  const voip: RenderedPush = { ...PUSH, provider: 'apns', apnsEnv: 'production' };

  it('takes BadDeviceToken from anything but APNs, or without an environment, as final', async () => {
    // An FCM push keeps to FCM even when the device has an APNs environment on record.
    for (const push of [
      PUSH,
      { ...PUSH, apnsEnv: 'production' as const },
      { ...voip, apnsEnv: undefined },
    ]) {
      const sender = new FakeSender(clock).script(TOKEN, bad);
      const result = await deliver(sender, push, start + 10_000, META, { clock });
      assert.equal(sender.sent.length, 1, push.provider);
      assert.equal(result.status, 'dead_token');
    }
  });

  it('does not try the other environment past the last attempt, nor call the token dead', async () => {
    const sender = new FakeSender(clock).script(TOKEN, bad);
    const policy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 1 };
    const result = await deliver(sender, voip, start + 10_000, META, { clock, policy });
    assert.equal(sender.sent.length, 1);
    assert.deepEqual([result.status, result.reason], ['failed', 'BadDeviceToken']);
  });

  it('tries the other environment while a whole attempt still fits before the deadline', async () => {
    const fits = new FakeSender(clock).script(TOKEN, bad);
    const deadline = start + DEFAULT_RETRY_POLICY.minAttemptMs;
    await deliver(fits, voip, deadline, META, { clock });
    assert.equal(fits.sent.length, 2, 'exactly minAttemptMs left: room for it');
    const late = new FakeSender(clock).script(TOKEN, bad);
    await deliver(late, voip, clock.now() + DEFAULT_RETRY_POLICY.minAttemptMs - 1, META, {
      clock,
    });
    assert.equal(late.sent.length, 1);
  });

  it('says it stopped when the push was no longer wanted after a BadDeviceToken', async () => {
    const sender = new FakeSender(clock).script(TOKEN, bad);
    const result = await deliver(sender, voip, start + 10_000, META, {
      clock,
      stillWanted: () => Promise.resolve(false),
    });
    assert.equal(sender.sent.length, 1);
    assert.deepEqual([result.status, result.reason], ['failed', 'stopped']);
  });
});

describe('mayHaveReached', () => {
  it('is false for the failures no request left for, true for a silence', () => {
    for (const reason of [
      'sender_closed',
      'missing_apns_env',
      'apns_setup_failed',
      'apns_not_configured',
      'access_token_error',
      'webpush_not_configured',
      'hms_not_configured',
      'endpoint_refused',
      'invalid_subscription',
      'oauth_error',
    ]) {
      assert.equal(mayHaveReached({ kind: 'failed', retryable: true, reason }), false, reason);
    }
    assert.equal(mayHaveReached({ kind: 'failed', retryable: true, reason: 'timeout' }), true);
    assert.equal(mayHaveReached({ kind: 'failed', retryable: true, reason: '' }), true);
    assert.equal(
      mayHaveReached({ kind: 'failed', retryable: true, status: 503, reason: 'timeout' }),
      false,
    );
  });
});
