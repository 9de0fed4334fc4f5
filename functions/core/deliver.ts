import type { Delivery } from './model';
import type { PushMeta, PushSender, RenderedPush, SendResult } from './push';
import { DEFAULT_RETRY_POLICY, nextRetryDelay, type RetryPolicy } from './retryPolicy';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** The final outcome of one push after its retries. */
export interface DeliveryResult {
  status: Exclude<Delivery['status'], 'pending'>;
  attempts: number;
  providerStatus?: number;
  reason?: string;
  providerId?: string;
  pushedAt: number;
  settledAt: number;
}

function toDeliveryResult(
  last: SendResult,
  attempts: number,
  pushedAt: number,
  now: number,
): DeliveryResult {
  const base = { attempts, pushedAt, settledAt: now };
  switch (last.kind) {
    case 'accepted':
      return {
        ...base,
        status: 'accepted',
        providerStatus: last.status,
        ...(last.providerId ? { providerId: last.providerId } : {}),
      };
    case 'dead_token':
      return { ...base, status: 'dead_token', providerStatus: last.status, reason: last.reason };
    case 'failed':
      return {
        ...base,
        status: 'failed',
        reason: last.reason,
        ...(last.status === undefined ? {} : { providerStatus: last.status }),
      };
  }
}

/**
 * Sends one push, retrying transient failures with backoff until it is
 * accepted, rejected for good, or the deadline leaves no room for another try.
 */
export async function deliver(
  sender: PushSender,
  push: RenderedPush,
  deadline: number,
  meta: PushMeta,
  clock: Clock = systemClock,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): Promise<DeliveryResult> {
  const pushedAt = clock.now();
  let attempts = 0;
  for (;;) {
    attempts += 1;
    let result: SendResult;
    try {
      result = await sender.send(push, deadline, meta);
    } catch {
      // Senders map provider errors themselves; anything thrown is our bug or a store outage.
      result = { kind: 'failed', retryable: true, reason: 'sender_error' };
    }
    const delay = nextRetryDelay(result, attempts, clock.now(), deadline, policy, Math.random());
    if (delay === null) return toDeliveryResult(result, attempts, pushedAt, clock.now());
    await clock.sleep(delay);
  }
}
