/**
 * A fake HMS Push Kit on 127.0.0.1: Huawei's OAuth 2.0 token endpoint (client credentials) and
 * `POST /v1/{clientId}/messages:send`, answering with the HTTP statuses and result codes of
 * Huawei's "Downlink message" reference (https-send-api): 80000000 success, 80200001 / 80200003
 * (bearer wrong / expired, HTTP 401), 80100003 and friends for a malformed message, 80300007
 * when every token is invalid, 80100000 with `illegal_tokens` when some are, 80300008 over 4096
 * bytes, HTTP 503 for flow control. It records what it received and plays scripted faults per
 * token.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { isRecord, LocalHttpServer, readBody } from './fakeServer';
import { TokenScripts } from './tokenScripts';

export type HmsFault =
  | { status: number; retryAfter?: number | string }
  | 'ok'
  /** The token is invalid (uninstalled app, another app's token). */
  | 'unregistered'
  | 'reset'
  | 'hang';

export interface HmsRecordedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** The first (here: only) token of `message.token`. */
  token?: string;
  /** `message.data`, parsed: callwake sends a JSON object as the data string. */
  data?: Record<string, string>;
  android?: Record<string, unknown>;
  receivedAt: number;
  status?: number;
  code?: string;
}

export interface FakeHmsOptions {
  clientId: string;
  clientSecret: string;
  /** Lifetime of the access tokens it issues (seconds; Huawei's is 3600). */
  tokenLifetimeS?: number;
}

interface Answer {
  status: number;
  body: string;
  retryAfter?: string;
}

const result = (status: number, code: string, msg: string): Answer => ({
  status,
  body: JSON.stringify({ code, msg, requestId: `${Date.now()}${randomBytes(3).toString('hex')}` }),
});
const MESSAGE_FIELDS = new Set([
  'data',
  'notification',
  'android',
  'apns',
  'webpush',
  'token',
  'topic',
  'condition',
]);
const ANDROID_FIELDS = new Set([
  'bi_tag',
  'category',
  'collapse_key',
  'data',
  'fast_app_target',
  'notification',
  'receipt_id',
  'target_user_type',
  'ttl',
  'urgency',
]);
const CATEGORIES = new Set([
  'IM',
  'VOIP',
  'SUBSCRIPTION',
  'TRAVEL',
  'HEALTH',
  'WORK',
  'ACCOUNT',
  'EXPRESS',
  'FINANCE',
  'DEVICE_REMINDER',
  'MAIL',
  'PLAY_VOICE',
  'MARKETING',
]);
const TTL = /^\d+(\.\d{1,9})?[sS]?$/;
/** Huawei caps a message body, tokens excluded, at 4096 bytes. */
const MAX_BODY = 4096;

export class FakeHms extends TokenScripts<HmsRecordedRequest, HmsFault> {
  private readonly server = new LocalHttpServer((req, res) => {
    this.handle(req, res);
  });
  /** Access tokens issued, and when each expires (epoch ms). */
  private readonly issued = new Map<string, number>();
  /** OAuth requests received (a cache under test should make few). */
  tokenRequests = 0;

  constructor(private readonly options: FakeHmsOptions) {
    super();
  }

  /** Every access token issued so far expires now. */
  expireAccessTokens(): void {
    for (const token of this.issued.keys()) this.issued.set(token, 0);
  }

  async start(port = 0): Promise<{ origin: string }> {
    return { origin: `http://127.0.0.1:${await this.server.start(port)}` };
  }

  async close(): Promise<void> {
    await this.server.close();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    readBody(req, res, (bytes, receivedAt) => {
      const raw = bytes.toString('utf8');
      if (req.url === '/oauth2/v3/token') {
        this.reply(res, this.token(req, raw));
        return;
      }
      const answer = this.send(req, raw, receivedAt);
      if (answer === 'reset') {
        req.socket.resetAndDestroy();
        return;
      }
      if (answer !== 'hang') this.reply(res, answer);
    });
  }

  private reply(res: http.ServerResponse, answer: Answer): void {
    res.writeHead(answer.status, {
      'content-type': 'application/json;charset=UTF-8',
      ...(answer.retryAfter === undefined ? {} : { 'retry-after': answer.retryAfter }),
    });
    res.end(answer.body);
  }

  /** The client credentials grant. */
  private token(req: http.IncomingMessage, raw: string): Answer {
    this.tokenRequests += 1;
    const form = new URLSearchParams(raw);
    const error = (description: string): Answer => ({
      status: 400,
      body: JSON.stringify({ error: 1101, error_description: description }),
    });
    if (req.method !== 'POST') return error('POST is required');
    if (form.get('grant_type') !== 'client_credentials') return error('unsupported grant_type');
    if (form.get('client_id') !== this.options.clientId) return error('invalid client_id');
    if (form.get('client_secret') !== this.options.clientSecret)
      return error('invalid client_secret');
    const lifetime = this.options.tokenLifetimeS ?? 3600;
    const token = `CF3Xl2XV6j${randomBytes(24).toString('base64')}`;
    this.issued.set(token, Date.now() + lifetime * 1000);
    return {
      status: 200,
      body: JSON.stringify({ access_token: token, expires_in: lifetime, token_type: 'Bearer' }),
    };
  }

  /** Huawei's order: route, OAuth, message structure, size, then the tokens' fate. */
  private send(
    req: http.IncomingMessage,
    raw: string,
    receivedAt: number,
  ): Answer | 'reset' | 'hang' {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const message = isRecord(body) && isRecord(body.message) ? body.message : undefined;
    const tokens = Array.isArray(message?.token) ? (message.token as unknown[]) : [];
    const first = typeof tokens[0] === 'string' ? tokens[0] : undefined;
    const record: HmsRecordedRequest = {
      path: req.url ?? '',
      headers: req.headers,
      body,
      receivedAt,
      ...(first === undefined ? {} : { token: first }),
      ...(isRecord(message?.android) ? { android: message.android } : {}),
    };
    if (typeof message?.data === 'string') {
      try {
        record.data = JSON.parse(message.data) as Record<string, string>;
      } catch {
        // a plain-string data message: left unparsed
      }
    }
    this.requests.push(record);
    const answer = this.judge(req, body, message, tokens);
    if (answer !== 'reset' && answer !== 'hang') {
      record.status = answer.status;
      record.code = resultCode(answer.body);
    }
    return answer;
  }

  private judge(
    req: http.IncomingMessage,
    body: unknown,
    message: Record<string, unknown> | undefined,
    tokens: unknown[],
  ): Answer | 'reset' | 'hang' {
    const path = /^\/v1\/([^/]+)\/messages:send$/.exec(req.url ?? '');
    if (!path || req.method !== 'POST') return result(404, '80100001', 'Not found');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const expires = bearer === undefined ? undefined : this.issued.get(bearer);
    if (expires === undefined) return result(401, '80200001', 'Oauth authentication error');
    if (expires <= Date.now()) return result(401, '80200003', 'Oauth Token expired.');
    if (decodeURIComponent(path[1] ?? '') !== this.options.clientId) {
      return result(200, '80300002', 'No permission to send message to these tokens');
    }
    if (!isRecord(body) || !message) return result(400, '80100003', 'Incorrect message structure');
    const structure = checkMessage(message, tokens);
    if (structure) return structure;
    const { token: _tokens, ...rest } = message;
    if (Buffer.byteLength(JSON.stringify({ ...body, message: rest })) > MAX_BODY) {
      return result(200, '80300008', 'The message body size exceeds the default value');
    }
    const fates = tokens.map((t) => this.nextFault(String(t)));
    const network = fates.find((f) => f === 'reset' || f === 'hang');
    if (network === 'reset' || network === 'hang') return network;
    const status = fates.find(
      (f): f is { status: number; retryAfter?: number | string } => typeof f === 'object',
    );
    if (status) {
      const answer: Answer = { status: status.status, body: 'Service Unavailable' };
      if (status.retryAfter !== undefined) answer.retryAfter = String(status.retryAfter);
      return answer;
    }
    const illegal = tokens.filter((_t, i) => fates[i] === 'unregistered').map(String);
    if (illegal.length === tokens.length)
      return result(200, '80300007', 'All the tokens are invalid');
    if (illegal.length > 0) {
      const msg = JSON.stringify({
        success: tokens.length - illegal.length,
        failure: illegal.length,
        illegal_tokens: illegal,
      });
      return result(200, '80100000', msg);
    }
    return result(200, '80000000', 'Success');
  }
}

/** The structure checks Huawei answers 80100001 / 80100003 / 80100013 for. */
function checkMessage(message: Record<string, unknown>, tokens: unknown[]): Answer | undefined {
  if (Object.keys(message).some((k) => !MESSAGE_FIELDS.has(k))) {
    return result(400, '80100003', 'Incorrect message structure');
  }
  const targets = ['token', 'topic', 'condition'].filter((k) => message[k] !== undefined);
  if (targets.length !== 1)
    return result(400, '80100001', 'Exactly one of token, topic, condition');
  if (message.token !== undefined) {
    if (
      tokens.length === 0 ||
      tokens.length > 1000 ||
      tokens.some((t) => typeof t !== 'string' || t === '')
    ) {
      return result(400, '80100001', 'token must be 1 to 1000 non-empty strings');
    }
  }
  if (message.data !== undefined && typeof message.data !== 'string') {
    return result(400, '80100003', 'data must be a string');
  }
  const android = message.android;
  if (android === undefined) return undefined;
  if (!isRecord(android) || Object.keys(android).some((k) => !ANDROID_FIELDS.has(k))) {
    return result(400, '80100003', 'Incorrect message structure');
  }
  const { urgency, category, ttl, collapse_key: collapse } = android;
  if (urgency !== undefined && urgency !== 'HIGH' && urgency !== 'NORMAL') {
    return result(400, '80100001', 'urgency must be HIGH or NORMAL');
  }
  if (category !== undefined && (typeof category !== 'string' || !CATEGORIES.has(category))) {
    return result(400, '80100001', 'invalid category');
  }
  if (ttl !== undefined) {
    if (typeof ttl !== 'string' || !TTL.test(ttl)) return result(400, '80100001', 'malformed ttl');
    if (parseFloat(ttl) <= 0) return result(400, '80100004', 'The message TTL has expired');
  }
  if (
    collapse !== undefined &&
    (!Number.isInteger(collapse) || (collapse as number) < -1 || (collapse as number) > 100)
  ) {
    return result(400, '80100013', 'collapse_key must be -1 to 100');
  }
  return undefined;
}

/** The result code of an answer's body; none for flow control's plain text. */
function resultCode(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { code?: string }).code;
  } catch {
    return undefined;
  }
}
