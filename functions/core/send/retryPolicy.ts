import type { SendResult } from './push';

export interface RetryPolicy {
  /** Attempts per push, first one included. */
  maxAttempts: number;
  /** First backoff; doubles each attempt up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** An attempt started closer than this to the deadline cannot finish: don't start it. */
  minAttemptMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 2_000,
  minAttemptMs: 150,
};

/**
 * How long to wait before the next attempt, or null to stop. Retry-After is
 * honoured, but nothing is ever scheduled past the call's ring deadline: a
 * push that would arrive after the caller gave up only rings a dead call.
 *
 * @param attempt attempts made so far (1 after the first)
 * @param random in [0, 1); jitter spreads retries of many devices apart
 */
export function nextRetryDelay(
  result: SendResult,
  attempt: number,
  now: number,
  deadline: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random = 0.5,
): number | null {
  if (result.kind !== 'failed' || !result.retryable) return null;
  if (attempt >= policy.maxAttempts) return null;
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.round(backoff * (0.5 + random / 2));
  const delay = Math.max(jittered, result.retryAfterMs ?? 0);
  if (now + delay + policy.minAttemptMs > deadline) return null;
  return delay;
}
