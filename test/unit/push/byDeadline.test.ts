import assert from 'node:assert/strict';
import type { SendResult } from '../../../functions/core/send/push';
import {
  bearerByDeadline,
  NETWORK_ERROR,
  retryableFailure,
  sendByDeadline,
  TIMEOUT,
} from '../../../functions/push/byDeadline';

const ACCEPTED: SendResult = { kind: 'accepted', status: 200 };
const never = () => new Promise<never>(() => undefined);
const rejectOnAbort = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => {
      reject(new Error('aborted'));
    });
  });

describe('sendByDeadline', () => {
  it('answers a timeout without trying when the deadline has passed', async () => {
    let tried = false;
    const result = await sendByDeadline(Date.now() - 1, () => {
      tried = true;
      return Promise.resolve(ACCEPTED);
    });
    assert.deepEqual(result, TIMEOUT);
    assert.equal(tried, false);
  });

  it("returns the attempt's answer within the deadline", async () => {
    assert.deepEqual(
      await sendByDeadline(Date.now() + 1_000, () => Promise.resolve(ACCEPTED)),
      ACCEPTED,
    );
  });

  it('aborts the attempt at the deadline and answers a timeout', async () => {
    const result = await sendByDeadline(Date.now() + 30, rejectOnAbort);
    assert.deepEqual(result, TIMEOUT);
  });

  it('answers a retryable network error for a failure before the deadline', async () => {
    const result = await sendByDeadline(Date.now() + 1_000, () =>
      Promise.reject(new TypeError('fetch failed')),
    );
    assert.deepEqual(result, NETWORK_ERROR);
  });

  it("answers the provider's refusal first when the caller names one", async () => {
    const refusal: SendResult = { kind: 'failed', retryable: false, reason: 'endpoint_refused' };
    const result = await sendByDeadline(
      Date.now() + 1_000,
      () => Promise.reject(new RangeError('refused')),
      (err) => (err instanceof RangeError ? refusal : undefined),
    );
    assert.deepEqual(result, refusal);
  });
});

describe('bearerByDeadline', () => {
  it('gives the bearer', async () => {
    const signal = new AbortController().signal;
    assert.equal(await bearerByDeadline(() => Promise.resolve('token'), signal), 'token');
  });

  it('answers a timeout when the token source outlives the deadline', async () => {
    const controller = new AbortController();
    setTimeout(() => {
      controller.abort();
    }, 20);
    assert.deepEqual(await bearerByDeadline(never, controller.signal), TIMEOUT);
  });

  it('answers a retryable access_token_error when the token source fails in time', async () => {
    const signal = new AbortController().signal;
    assert.deepEqual(await bearerByDeadline(() => Promise.reject(new Error('no')), signal), {
      kind: 'failed',
      retryable: true,
      reason: 'access_token_error',
    });
  });
});

describe('retryableFailure', () => {
  it("carries the provider's Retry-After in milliseconds, and nothing when it sent none", () => {
    assert.deepEqual(retryableFailure(503, 'UNAVAILABLE', '7'), {
      kind: 'failed',
      retryable: true,
      status: 503,
      reason: 'UNAVAILABLE',
      retryAfterMs: 7_000,
    });
    assert.deepEqual(retryableFailure(429, 'too_many_requests', null), {
      kind: 'failed',
      retryable: true,
      status: 429,
      reason: 'too_many_requests',
    });
  });
});
