/**
 * FCM HTTP v1 sender. A small client of our own rather than firebase-admin's messaging: that
 * one hard-codes fcm.googleapis.com (no test server) and retries for up to 60 s on its own,
 * which no ring deadline can bound.
 */
import type { PushSender, RenderedPush, SendResult } from '../core/push';

/** Options for {@link FcmSender}. */
export interface FcmSenderOptions {
  /** An OAuth2 access token with the firebase.messaging scope (cached by the caller). */
  getAccessToken: () => Promise<string>;
}

const FCM_ERROR_TYPE = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';
const BAD_REQUEST_TYPE = 'type.googleapis.com/google.rpc.BadRequest';
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);

/** Sends rendered FCM pushes with `fetch`, bounded by each call's deadline. */
export class FcmSender implements PushSender {
  constructor(private readonly options: FcmSenderOptions) {}

  /** POSTs `push` to FCM; never throws, always settles by `deadline` (epoch ms). */
  async send(push: RenderedPush, deadline: number): Promise<SendResult> {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { kind: 'failed', retryable: true, reason: 'timeout' };
    const controller = new AbortController();
    const timer = setTimeout(() => {
      controller.abort();
    }, remaining);
    let accessToken: string | undefined;
    try {
      try {
        accessToken = await untilAborted(this.options.getAccessToken(), controller.signal);
      } catch {
        if (controller.signal.aborted)
          return { kind: 'failed', retryable: true, reason: 'timeout' };
        return { kind: 'failed', retryable: true, reason: 'access_token_error' };
      }
      const headers = new Headers(push.headers);
      headers.set('authorization', `Bearer ${accessToken}`);
      headers.set('content-type', 'application/json');
      const res = await fetch(push.url, {
        method: push.method,
        headers,
        body: JSON.stringify(push.body),
        signal: controller.signal,
      });
      const text = await res.text();
      const secrets = [push.token, accessToken];
      return mapFcmResponse(res.status, text, res.headers.get('retry-after'), secrets);
    } catch {
      // fetch rejects with an AbortError at the deadline and a TypeError for resets/refusals.
      if (controller.signal.aborted) return { kind: 'failed', retryable: true, reason: 'timeout' };
      return { kind: 'failed', retryable: true, reason: 'network_error' };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Parses Retry-After (delta seconds or an HTTP date) into milliseconds from now. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
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
function mapFcmResponse(
  status: number,
  text: string,
  retryAfter: string | null,
  secrets: string[],
): SendResult {
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
    const retryAfterMs = parseRetryAfter(retryAfter);
    return retryAfterMs === undefined
      ? { kind: 'failed', retryable: true, status, reason: code }
      : { kind: 'failed', retryable: true, status, reason: code, retryAfterMs };
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

/** Rejects when `signal` aborts, so a slow token source cannot outlive the deadline. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      reject(new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error('access token failed'));
      },
    );
  });
}
