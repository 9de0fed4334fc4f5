import assert from 'node:assert/strict';
import { deliver } from '../../../functions/core/deliver';
import type { PushMeta, RenderedPush, SendResult } from '../../../functions/core/push';
import { DEFAULT_RETRY_POLICY } from '../../../functions/core/retryPolicy';
import { FakeClock, FakeSender } from '../../support/fakes';

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

  it('stops at a dead token without retrying', async () => {
    const sender = new FakeSender(clock).script(TOKEN, {
      kind: 'dead_token',
      status: 404,
      reason: 'UNREGISTERED',
    });
    const result = await deliver(sender, PUSH, start + 10_000, META, { clock });
    assert.deepEqual(result, {
      status: 'dead_token',
      attempts: 1,
      providerStatus: 404,
      reason: 'UNREGISTERED',
      pushedAt: start,
      settledAt: start,
    });
    assert.deepEqual(clock.sleeps, []);
  });

  it('stops at a permanent failure without retrying', async () => {
    const sender = new FakeSender(clock).script(TOKEN, {
      kind: 'failed',
      retryable: false,
      status: 400,
      reason: 'INVALID_ARGUMENT',
    });
    const result = await deliver(sender, PUSH, start + 10_000, META, { clock });
    assert.deepEqual(result, {
      status: 'failed',
      attempts: 1,
      providerStatus: 400,
      reason: 'INVALID_ARGUMENT',
      pushedAt: start,
      settledAt: start,
    });
  });

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
