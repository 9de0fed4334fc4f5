/**
 * APNs sender: our own small HTTP/2 client (apnsConnection.ts) and provider token
 * (apnsProviderToken.ts), bounded by each call's deadline.
 *
 * It replaced @parse/node-apn, of which we used only a session and a request: we turned off its
 * retries (they ignore any deadline), replaced its header builder (it adds apns-priority), raced
 * its fixed timeout, destroyed its sessions by hand on close, and could not make it present a
 * JWT shared by every instance (it signs its own, with a random nonce, in a private field). Its
 * GOAWAY handling also reported a refused stream like a lost one, so a push Apple never saw
 * could not be resent at once. It also loaded jsonwebtoken and node-forge on the first push.
 *
 * Within one send, and only while the deadline allows, a push is sent again when Apple cannot
 * have acted on it: a stream the server refused or left above its GOAWAY's last stream id (on a
 * new connection), and a request refused for its provider token (ExpiredProviderToken,
 * TooManyProviderTokenUpdates) when another token is at hand. Anything else is reported to the
 * caller's retry policy, which knows the ring deadline.
 */
import type { ApnsEnv, PushSender, RenderedPush, SendResult } from '../core/send/push';
import { ApnsConnection, type Exchange } from './apnsConnection';
import { ApnsProviderToken, type ProviderToken } from './apnsProviderToken';
import { parseRetryAfter } from './retryAfter';

/** Options for {@link ApnsSender}. */
export interface ApnsSenderOptions {
  /** The .p8 signing key, PEM. */
  key: string;
  keyId: string;
  teamId: string;
  /** Where each APNs environment lives, e.g. 'https://api.push.apple.com'. */
  origins: Record<ApnsEnv, string>;
  /** An extra CA (PEM) to trust, for a test server. Replaces the default roots when set. */
  ca?: string;
  /** Wall clock for the provider token's windows, epoch ms (tests move it). */
  clock?: () => number;
}

/** Tries per send: the first, plus a resend after a refused stream or a refused token. */
const MAX_TRIES = 3;
const DEAD_TOKEN_400 = new Set(['BadDeviceToken', 'DeviceTokenNotForTopic']);
const TIMEOUT: SendResult = { kind: 'failed', retryable: true, reason: 'timeout' };
const NETWORK_ERROR: SendResult = { kind: 'failed', retryable: true, reason: 'network_error' };

/** Sends rendered APNs pushes; one HTTP/2 connection per APNs environment, made on first use. */
export class ApnsSender implements PushSender {
  private readonly connections = new Map<ApnsEnv, ApnsConnection>();
  private readonly token: ApnsProviderToken;
  private closed = false;

  constructor(private readonly options: ApnsSenderOptions) {
    const { key, keyId, teamId, clock } = options;
    this.token = new ApnsProviderToken({ key, keyId, teamId, ...(clock ? { clock } : {}) });
  }

  /** Sends `push` to `push.token` on `push.apnsEnv`; never throws, settles by `deadline`. */
  async send(push: RenderedPush, deadline: number): Promise<SendResult> {
    if (this.closed) return { kind: 'failed', retryable: false, reason: 'sender_closed' };
    const env = push.apnsEnv;
    if (env === undefined) return { kind: 'failed', retryable: false, reason: 'missing_apns_env' };
    if (deadline - Date.now() <= 0) return TIMEOUT;
    try {
      return await this.tries(push, env, deadline);
    } catch {
      return NETWORK_ERROR;
    }
  }

  /** Shuts every connection down; sends still in flight end as failed. */
  async close(): Promise<void> {
    this.closed = true;
    const connections = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(connections.map((c) => c.close()));
  }

  private async tries(push: RenderedPush, env: ApnsEnv, deadline: number): Promise<SendResult> {
    const body = JSON.stringify(push.body);
    let tokenReplaced = false;
    for (let tries = 1; ; tries++) {
      let token: ProviderToken;
      try {
        token = await this.token.current();
      } catch {
        // A key that cannot sign: retrying the same call cannot help.
        return { kind: 'failed', retryable: false, reason: 'apns_setup_failed' };
      }
      if (this.closed) return { kind: 'failed', retryable: false, reason: 'sender_closed' };
      const headers = requestHeaders(push, this.options.origins[env], token.jwt);
      const exchange = await this.connection(env).exchange(headers, body, deadline);
      const again = tries < MAX_TRIES && Date.now() < deadline;
      if (exchange.kind === 'unprocessed') {
        if (again) continue;
        return NETWORK_ERROR;
      }
      if (exchange.kind !== 'response')
        return exchange.kind === 'timeout' ? TIMEOUT : NETWORK_ERROR;
      const { status } = exchange;
      const reason = appleReason(exchange);
      if (status === 403 && reason === 'ExpiredProviderToken') {
        await this.token.expired(token);
        if (again && !tokenReplaced) {
          tokenReplaced = true;
          continue;
        }
        return { kind: 'failed', retryable: true, status, reason };
      }
      if (status === 429 && reason === 'TooManyProviderTokenUpdates') {
        // Back off: keep a token Apple took instead of signing yet another one.
        const refused = await this.token.updateRefused(token);
        if (refused.retryNow && again && !tokenReplaced) {
          tokenReplaced = true;
          continue;
        }
        return {
          kind: 'failed',
          retryable: true,
          status,
          reason,
          retryAfterMs: refused.retryAfterMs,
        };
      }
      if (status !== 403) this.token.accepted(token);
      return mapResponse(exchange, reason);
    }
  }

  private connection(env: ApnsEnv): ApnsConnection {
    let connection = this.connections.get(env);
    if (connection === undefined) {
      connection = new ApnsConnection(new URL(this.options.origins[env]).origin, this.options.ca);
      this.connections.set(env, connection);
    }
    return connection;
  }
}

/**
 * The request exactly as Apple must receive it: our pseudo-headers, the rendered headers
 * (nothing added, nothing defaulted), and the provider token.
 */
function requestHeaders(push: RenderedPush, origin: string, jwt: string): Record<string, string> {
  const headers: Record<string, string> = {
    ':method': 'POST',
    ':scheme': 'https',
    ':authority': new URL(origin).host,
    ':path': `/3/device/${encodeURIComponent(push.token)}`,
  };
  for (const [name, value] of Object.entries(push.headers)) {
    const lower = name.toLowerCase();
    if (lower.startsWith(':') || lower === 'authorization') continue;
    headers[lower] = value;
  }
  headers.authorization = `bearer ${jwt}`;
  return headers;
}

type Response = Extract<Exchange, { kind: 'response' }>;

function mapResponse(response: Response, reason: string): SendResult {
  const { status } = response;
  if (status === 200) {
    const id = response.headers['apns-id'];
    return typeof id === 'string'
      ? { kind: 'accepted', status, providerId: id }
      : { kind: 'accepted', status };
  }
  if (status === 410 || (status === 400 && DEAD_TOKEN_400.has(reason))) {
    return { kind: 'dead_token', status, reason };
  }
  // 403 (InvalidProviderToken and the like) means a wrong key, key id or team id: another try
  // with the same credentials cannot succeed.
  if (status === 429 || status >= 500) {
    const header = response.headers['retry-after'];
    const retryAfterMs = parseRetryAfter(typeof header === 'string' ? header : null);
    return retryAfterMs === undefined
      ? { kind: 'failed', retryable: true, status, reason }
      : { kind: 'failed', retryable: true, status, reason, retryAfterMs };
  }
  return { kind: 'failed', retryable: false, status, reason };
}

/** Apple's `{"reason": ...}`, or a name for the status when the body has none. */
function appleReason(response: Response): string {
  try {
    const reason = (JSON.parse(response.body) as { reason?: unknown }).reason;
    if (typeof reason === 'string' && /^\w{1,64}$/.test(reason)) return reason;
  } catch {
    // An empty or non-JSON body (a proxy's error page): fall through.
  }
  return response.status === 500 ? 'InternalServerError' : `http_${response.status}`;
}
