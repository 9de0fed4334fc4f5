import { systemClock, type Clock } from '../clock';
import type { DeliveryResult } from '../model';
import type { ApnsEnv, PushMeta, PushSender, RenderedPush, SendResult } from './push';
import { DEFAULT_RETRY_POLICY, nextRetryDelay, type RetryPolicy } from './retryPolicy';

/** A push, or how to render it at a given time and for a given APNs environment. */
export type PushSource = RenderedPush | ((now: number, apnsEnv?: ApnsEnv) => RenderedPush);

export interface DeliverOptions {
  clock?: Clock;
  policy?: RetryPolicy;
  /** In [0, 1): the retry jitter. Seeded in the simulation. */
  random?: () => number;
  /**
   * Asked before every attempt after the first; false stops the retries. For an incoming call:
   * does the call still ring? (A failed check counts as no: never push blind.)
   */
  stillWanted?: () => Promise<boolean>;
}

/** Senders report these when no request reached the provider at all. */
const NOTHING_SENT = new Set([
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
]);

/**
 * A failure with no answer from the provider (a timeout, a reset, a sender that threw): the
 * provider may have accepted the push, so the phone may ring.
 */
export function mayHaveReached(result: SendResult): boolean {
  return (
    result.kind === 'failed' && result.status === undefined && !NOTHING_SENT.has(result.reason)
  );
}

const OTHER_ENV: Record<ApnsEnv, ApnsEnv> = { production: 'sandbox', sandbox: 'production' };

/** APNs says BadDeviceToken when a token is sent to the wrong environment (sandbox vs production). */
const isBadDeviceToken = (result: SendResult, push: RenderedPush) =>
  result.kind === 'dead_token' &&
  result.reason === 'BadDeviceToken' &&
  push.provider === 'apns' &&
  push.apnsEnv !== undefined;

interface Progress {
  attempts: number;
  pushedAt: number;
  /** An attempt went unanswered: it may have reached the phone. */
  unanswered: boolean;
  /** The environment tried after a BadDeviceToken, if any. */
  switchedTo?: ApnsEnv;
  /** A BadDeviceToken not yet confirmed by the other environment: the token is not dead. */
  unconfirmedBadToken: boolean;
  /** Retries stopped because the push was no longer wanted. */
  stopped: boolean;
}

function toDeliveryResult(last: SendResult, p: Progress, now: number): DeliveryResult {
  const base = { attempts: p.attempts, pushedAt: p.pushedAt, settledAt: now };
  if (last.kind === 'accepted') {
    return {
      ...base,
      status: 'accepted',
      ...(last.status === undefined ? {} : { providerStatus: last.status }),
      ...(last.providerId ? { providerId: last.providerId } : {}),
      ...(p.switchedTo ? { apnsEnv: p.switchedTo } : {}),
    };
  }
  if (last.kind === 'dead_token' && !p.unconfirmedBadToken) {
    return { ...base, status: 'dead_token', providerStatus: last.status, reason: last.reason };
  }
  const reason = p.stopped ? 'stopped' : last.reason;
  return {
    ...base,
    status: p.unanswered ? 'unknown' : 'failed',
    reason,
    ...(last.status === undefined ? {} : { providerStatus: last.status }),
  };
}

/**
 * Sends one push, retrying transient failures with backoff until it is accepted, rejected for
 * good, no longer wanted, or the deadline leaves no room for another try. Each attempt renders
 * the push afresh (an Android TTL counts down). An APNs BadDeviceToken is only a verdict for one
 * environment: the other one is tried once before the token counts as dead, since a development
 * build's sandbox token is "bad" at production. Never throws for a sender's fault.
 */
export async function deliver(
  sender: PushSender,
  source: PushSource,
  deadline: number,
  meta: PushMeta,
  options: DeliverOptions = {},
): Promise<DeliveryResult> {
  const clock = options.clock ?? systemClock;
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const random = options.random ?? Math.random;
  const render = typeof source === 'function' ? source : () => source;
  const stillWanted = async () => {
    if (!options.stillWanted) return true;
    try {
      return await options.stillWanted();
    } catch {
      return false;
    }
  };
  const p: Progress = {
    attempts: 0,
    pushedAt: clock.now(),
    unanswered: false,
    unconfirmedBadToken: false,
    stopped: false,
  };
  let env: ApnsEnv | undefined;
  if (clock.now() >= deadline) {
    // Nothing is sent after the deadline, even when getting here took that long.
    return toDeliveryResult(
      { kind: 'failed', retryable: false, reason: 'deadline' },
      p,
      p.pushedAt,
    );
  }
  for (;;) {
    const push = render(clock.now(), env);
    p.attempts += 1;
    let result: SendResult;
    try {
      result = await sender.send(push, deadline, meta);
    } catch {
      // Senders map provider errors themselves; anything thrown is our bug or a store outage.
      result = { kind: 'failed', retryable: true, reason: 'sender_error' };
    }
    if (mayHaveReached(result)) p.unanswered = true;
    p.unconfirmedBadToken = false;
    if (isBadDeviceToken(result, push) && p.switchedTo === undefined) {
      p.unconfirmedBadToken = true;
      const other = OTHER_ENV[push.apnsEnv ?? 'production'];
      if (p.attempts >= policy.maxAttempts) return toDeliveryResult(result, p, clock.now());
      if (clock.now() + policy.minAttemptMs > deadline) {
        return toDeliveryResult(result, p, clock.now());
      }
      if (!(await stillWanted())) {
        p.stopped = true;
        return toDeliveryResult(result, p, clock.now());
      }
      p.switchedTo = other;
      env = other;
      continue;
    }
    const delay = nextRetryDelay(result, p.attempts, clock.now(), deadline, policy, random());
    if (delay === null) return toDeliveryResult(result, p, clock.now());
    await clock.sleep(delay);
    if (!(await stillWanted())) {
      p.stopped = true;
      return toDeliveryResult(result, p, clock.now());
    }
  }
}
