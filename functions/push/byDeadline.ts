import type { SendResult } from '../core/send/push';
import { parseRetryAfter } from './retryAfter';
import { untilAborted } from './untilAborted';

export const TIMEOUT: SendResult = { kind: 'failed', retryable: true, reason: 'timeout' };
export const NETWORK_ERROR: SendResult = {
  kind: 'failed',
  retryable: true,
  reason: 'network_error',
};

/**
 * Runs one send under a signal aborted at `deadline` (epoch ms); never throws. What `attempt`
 * throws is the provider's refusal when `refusalOf` names one, else a timeout once the signal
 * aborted (fetch rejects with an AbortError at the deadline), else a network failure (a
 * TypeError for resets and refusals).
 */
export async function sendByDeadline(
  deadline: number,
  attempt: (signal: AbortSignal) => Promise<SendResult>,
  refusalOf: (err: unknown) => SendResult | undefined = () => undefined,
): Promise<SendResult> {
  const remaining = deadline - Date.now();
  if (remaining <= 0) return TIMEOUT;
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort();
  }, remaining);
  try {
    return await attempt(controller.signal);
  } catch (err) {
    const refusal = refusalOf(err);
    if (refusal) return refusal;
    if (controller.signal.aborted) return TIMEOUT;
    return NETWORK_ERROR;
  } finally {
    clearTimeout(timer);
  }
}

/** The provider's bearer, or the failure to report when it cannot be had in time. */
export async function bearerByDeadline(
  bearer: () => Promise<string>,
  signal: AbortSignal,
): Promise<string | SendResult> {
  try {
    return await untilAborted(bearer(), signal);
  } catch {
    if (signal.aborted) return TIMEOUT;
    return { kind: 'failed', retryable: true, reason: 'access_token_error' };
  }
}

/** A failure a retry may fix, with the provider's Retry-After when it sent one. */
export function retryableFailure(
  status: number,
  reason: string,
  retryAfter: string | null,
): SendResult {
  const retryAfterMs = parseRetryAfter(retryAfter);
  return {
    kind: 'failed',
    retryable: true,
    status,
    reason,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}
