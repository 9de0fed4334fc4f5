/**
 * FCM HTTP v1 sender. A small client of our own rather than firebase-admin's messaging: that
 * one hard-codes fcm.googleapis.com (no test server) and retries for up to 60 s on its own,
 * which no ring deadline can bound.
 */
import type { PushSender, RenderedPush, SendResult } from '../core/send/push';
import { bearerByDeadline, retryableFailure, sendByDeadline } from './byDeadline';

/** Options for {@link FcmSender}. */
export interface FcmSenderOptions {
  /** An OAuth2 access token with the firebase.messaging scope (cached by the caller). */
  getAccessToken: () => Promise<string>;
  /** FCM answered 401 to this token: drop it from the cache so the next one is fresh. */
  invalidateAccessToken?: (token: string) => void;
}

/** One HTTP answer from FCM. */
interface FcmAnswer {
  status: number;
  text: string;
  retryAfter: string | null;
}

const FCM_ERROR_TYPE = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';
const BAD_REQUEST_TYPE = 'type.googleapis.com/google.rpc.BadRequest';
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);
const UNAUTHENTICATED: SendResult = {
  kind: 'failed',
  retryable: false,
  status: 401,
  reason: 'UNAUTHENTICATED',
};

/**
 * Sends rendered FCM pushes with `fetch`, bounded by each call's deadline.
 *
 * A 401 means FCM did not take the message and our cached bearer is stale (revoked, or expired
 * early by a clock off Google's): the token is dropped and the push sent once more with a fresh
 * one, at once and within the same deadline. Reporting it retryable instead would cost the
 * caller's backoff on the ring path, and concurrent sends would all meet the same stale token
 * first. A second 401, or the same token handed back, is a credential problem no retry fixes.
 */
export class FcmSender implements PushSender {
  constructor(private readonly options: FcmSenderOptions) {}

  /** POSTs `push` to FCM; never throws, always settles by `deadline` (epoch ms). */
  send(push: RenderedPush, deadline: number): Promise<SendResult> {
    return sendByDeadline(deadline, async (signal) => {
      let refused: string | undefined;
      for (;;) {
        const accessToken = await bearerByDeadline(() => this.options.getAccessToken(), signal);
        if (typeof accessToken !== 'string') return accessToken;
        if (accessToken === refused) return UNAUTHENTICATED;
        const answer = await this.post(push, accessToken, signal);
        if (answer.status !== 401) return mapFcmResponse(answer, [push.token, accessToken]);
        this.options.invalidateAccessToken?.(accessToken);
        if (refused !== undefined) return UNAUTHENTICATED;
        refused = accessToken;
      }
    });
  }

  private async post(push: RenderedPush, accessToken: string, signal: AbortSignal) {
    const headers = new Headers(push.headers);
    headers.set('authorization', `Bearer ${accessToken}`);
    headers.set('content-type', 'application/json');
    const res = await fetch(push.url, {
      method: push.method,
      headers,
      body: JSON.stringify(push.body),
      signal,
    });
    const answer: FcmAnswer = {
      status: res.status,
      text: await res.text(),
      retryAfter: res.headers.get('retry-after'),
    };
    return answer;
  }
}

interface GoogleError {
  status?: string;
  message?: string;
  errorCode?: string;
  fields: string[];
}

/** Reads Google's `{error:{code,message,status,details}}` envelope; tolerates HTML 502 pages. */
function parseGoogleError(text: string): GoogleError {
  const out: GoogleError = { fields: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return out;
  }
  const error = isRecord(parsed) ? parsed.error : undefined;
  if (!isRecord(error)) return out;
  if (typeof error.status === 'string') out.status = error.status;
  if (typeof error.message === 'string') out.message = error.message;
  const details = Array.isArray(error.details) ? (error.details as unknown[]) : [];
  for (const detail of details) {
    if (!isRecord(detail)) continue;
    if (detail['@type'] === FCM_ERROR_TYPE && typeof detail.errorCode === 'string') {
      out.errorCode = detail.errorCode;
    }
    if (detail['@type'] === BAD_REQUEST_TYPE && Array.isArray(detail.fieldViolations)) {
      for (const v of detail.fieldViolations as unknown[]) {
        if (isRecord(v) && typeof v.field === 'string') out.fields.push(v.field);
      }
    }
  }
  return out;
}

/** Maps one FCM answer to a SendResult. `secrets` are scrubbed from any reason. */
function mapFcmResponse({ status, text, retryAfter }: FcmAnswer, secrets: string[]): SendResult {
  if (status >= 200 && status < 300) {
    let name: unknown;
    try {
      name = (JSON.parse(text) as { name?: unknown }).name;
    } catch {
      name = undefined;
    }
    return typeof name === 'string'
      ? { kind: 'accepted', status, providerId: name }
      : { kind: 'accepted', status };
  }
  const err = parseGoogleError(text);
  const code = err.errorCode ?? err.status ?? `http_${status}`;
  if (status === 404 && err.errorCode === 'UNREGISTERED') {
    return { kind: 'dead_token', status, reason: 'UNREGISTERED' };
  }
  if (status === 403 && err.errorCode === 'SENDER_ID_MISMATCH') {
    return { kind: 'dead_token', status, reason: 'SENDER_ID_MISMATCH' };
  }
  if (status === 400 && isTokenRejection(err)) {
    return { kind: 'dead_token', status, reason: code };
  }
  if (RETRYABLE_STATUSES.has(status)) {
    return retryableFailure(status, code, retryAfter);
  }
  // A payload problem is ours to fix: keep FCM's explanation, minus anything secret.
  const reason =
    status === 400 && err.message !== undefined ? `${code}: ${scrub(err.message, secrets)}` : code;
  return { kind: 'failed', retryable: false, status, reason };
}

/**
 * INVALID_ARGUMENT covers malformed payloads too; only a complaint about the registration
 * token itself (FCM's message, or a BadRequest violation on message.token) kills the token.
 */
function isTokenRejection(err: GoogleError): boolean {
  if ((err.errorCode ?? err.status) !== 'INVALID_ARGUMENT') return false;
  return /registration token/i.test(err.message ?? '') || err.fields.includes('message.token');
}

function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) if (secret !== '') out = out.split(secret).join('[redacted]');
  return out.slice(0, 300);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
