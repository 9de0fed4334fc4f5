/**
 * HMS Push Kit sender (`POST /v1/{clientId}/messages:send`). No maintained Node client exists,
 * so a small one on `fetch`, bounded by each call's deadline like the FCM sender. Huawei answers
 * with an HTTP status and, in the body, a result code (`{code, msg, requestId}`); the codes are
 * those of Huawei's "Downlink message" reference (HMSCore-References https-send-api).
 */
import type { PushSender, RenderedPush, SendResult } from '../core/send/push';
import type { AccessTokenSource } from './accessTokenCache';
import { bearerByDeadline, retryableFailure, sendByDeadline } from './byDeadline';

interface HmsAnswer {
  status: number;
  code: string | undefined;
  /** `msg` when it is JSON (80100000 lists the refused tokens there); never kept as text. */
  detail: unknown;
  requestId: string | undefined;
  retryAfter: string | null;
}

const SUCCESS = '80000000';
const PARTLY_FAILED = '80100000';
/** Our bearer: 80200001 it is wrong, 80200003 it has expired. Refresh it and send once more. */
const AUTH_CODES = new Set(['80200001', '80200003']);
const NAMES: Record<string, string> = {
  '80100001': 'parameter_error',
  '80100003': 'bad_message',
  '80100004': 'ttl_expired',
  '80100013': 'bad_collapse_key',
  '80100016': 'sensitive_content',
  '80200001': 'oauth_error',
  '80200003': 'oauth_token_expired',
  '80300002': 'no_permission',
  '80300007': 'invalid_token',
  '80300008': 'message_too_big',
  '80300010': 'too_many_tokens',
  '80300011': 'no_high_priority_permission',
  '80600003': 'oauth_failed',
  '81000001': 'internal_error',
};
const RETRYABLE_CODES = new Set(['81000001']);
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);

export class HmsSender implements PushSender {
  constructor(private readonly tokens: AccessTokenSource) {}

  /** POSTs `push` to Huawei; never throws, settles by `deadline` (epoch ms). */
  send(push: RenderedPush, deadline: number): Promise<SendResult> {
    return sendByDeadline(deadline, async (signal) => {
      let refused: string | undefined;
      for (;;) {
        const bearer = await bearerByDeadline(() => this.tokens.get(), signal);
        if (typeof bearer !== 'string') return bearer;
        // The cache handed back the bearer Huawei just refused: a credential problem.
        if (bearer === refused) return { kind: 'failed', retryable: false, reason: 'oauth_error' };
        const answer = await post(push, bearer, signal);
        const authProblem =
          answer.status === 401 || (answer.code !== undefined && AUTH_CODES.has(answer.code));
        // Refresh once, at once and within the same deadline: a second refusal no retry fixes.
        if (!authProblem || refused !== undefined) return mapHmsAnswer(answer, push.token);
        this.tokens.invalidate(bearer);
        refused = bearer;
      }
    });
  }
}

async function post(push: RenderedPush, bearer: string, signal: AbortSignal): Promise<HmsAnswer> {
  const res = await fetch(push.url, {
    method: push.method,
    headers: {
      ...push.headers,
      authorization: `Bearer ${bearer}`,
      'content-type': 'application/json;charset=UTF-8',
    },
    body: JSON.stringify(push.body),
    signal,
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
  } catch {
    // A gateway's HTML error page: the status says enough.
  }
  let detail: unknown;
  try {
    detail = typeof body.msg === 'string' ? JSON.parse(body.msg) : undefined;
  } catch {
    detail = undefined;
  }
  return {
    status: res.status,
    code: typeof body.code === 'string' ? body.code : undefined,
    detail,
    requestId: typeof body.requestId === 'string' ? body.requestId : undefined,
    retryAfter: res.headers.get('retry-after'),
  };
}

/** The tokens an 80100000 answer lists as refused (`illegal_tokens`). */
function illegalTokens(detail: unknown): string[] {
  const list = (detail as { illegal_tokens?: unknown } | undefined)?.illegal_tokens;
  return Array.isArray(list) ? list.filter((t): t is string => typeof t === 'string') : [];
}

/**
 * One answer as an outcome. An invalid token (80300007, or ours among 80100000's
 * `illegal_tokens`) is dead; flow control (HTTP 503) and Huawei's internal errors are worth
 * another try, after Retry-After; everything else is ours to fix (a message Huawei refuses, a
 * permission the app lacks, credentials) and no retry helps.
 */
export function mapHmsAnswer(answer: HmsAnswer, token: string): SendResult {
  const { status, code } = answer;
  if (status === 200 && code === SUCCESS) {
    return {
      kind: 'accepted',
      status,
      ...(answer.requestId ? { providerId: answer.requestId } : {}),
    };
  }
  if (
    code === '80300007' ||
    (code === PARTLY_FAILED && illegalTokens(answer.detail).includes(token))
  ) {
    return { kind: 'dead_token', status, reason: 'invalid_token' };
  }
  if (code === PARTLY_FAILED) return { kind: 'accepted', status };
  const reason = (code && NAMES[code]) ?? (code ? `code_${code}` : `http_${status}`);
  if (RETRYABLE_STATUSES.has(status) || (code !== undefined && RETRYABLE_CODES.has(code))) {
    return retryableFailure(status, reason, answer.retryAfter);
  }
  return { kind: 'failed', retryable: false, status, reason };
}
