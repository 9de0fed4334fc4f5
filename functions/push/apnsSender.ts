/**
 * APNs sender on @parse/node-apn (HTTP/2, .p8 token auth), bounded by each call's deadline.
 *
 * What node-apn does on its own, and what we do about it (read from its lib/client.js, v8):
 * - It retries 408/429/5xx and 403 ExpiredProviderToken up to `connectionRetryLimit` times,
 *   with no delay (it looks for Retry-After under a capitalised name HTTP/2 never delivers).
 *   We set the limit to 0: the caller's retry policy, which knows the ring deadline, decides.
 * - On 403 ExpiredProviderToken it signs a fresh JWT before reporting the failure, so the next
 *   send uses a new token: that answer is retryable. It also renews JWTs older than 55 min.
 * - `requestTimeout` is one fixed value per provider, not per send, so every send is raced
 *   against a timer at its own deadline; a late answer then lands in a settled race, unseen.
 * - Session errors are caught inside the library and surface as a failed entry, never thrown.
 */
import type { ClientHttp2Session } from 'node:http2';
import type * as ApnModule from '@parse/node-apn';
import type { ApnsEnv, PushSender, RenderedPush, SendResult } from '../core/push';

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
}

/** What node-apn puts in `failed`: Apple's status and reason, or a transport error. */
interface ApnFailure {
  status?: unknown;
  error?: { message?: unknown };
  response?: { reason?: unknown };
}

/** Far above any ring deadline: our own timer settles sends; this only reclaims dead streams. */
const LIBRARY_REQUEST_TIMEOUT_MS = 30_000;
const DEAD_TOKEN_400 = new Set(['BadDeviceToken', 'DeviceTokenNotForTopic']);
const TIMEOUT: SendResult = { kind: 'failed', retryable: true, reason: 'timeout' };
const NETWORK_ERROR: SendResult = { kind: 'failed', retryable: true, reason: 'network_error' };

/** Sends rendered APNs pushes; one HTTP/2 provider per APNs environment, made on first use. */
export class ApnsSender implements PushSender {
  private module: Promise<typeof ApnModule> | undefined;
  private readonly providers = new Map<ApnsEnv, ApnModule.Provider>();
  private closed = false;

  constructor(private readonly options: ApnsSenderOptions) {}

  /** Sends `push` to `push.token` on `push.apnsEnv`; never throws, settles by `deadline`. */
  async send(push: RenderedPush, deadline: number): Promise<SendResult> {
    if (this.closed) return { kind: 'failed', retryable: false, reason: 'sender_closed' };
    const env = push.apnsEnv;
    if (env === undefined) return { kind: 'failed', retryable: false, reason: 'missing_apns_env' };
    const remaining = deadline - Date.now();
    if (remaining <= 0) return TIMEOUT;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<SendResult>((resolve) => {
      timer = setTimeout(() => {
        resolve(TIMEOUT);
      }, remaining);
    });
    try {
      return await Promise.race([this.attempt(push, env), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Shuts every provider down. Sessions are destroyed rather than drained: node-apn's graceful
   * close waits for every open stream (one to a server that never answers stays open for
   * `requestTimeout`), and never calls back at all once its session has died of an error.
   * Sends still in flight end as failed.
   */
  async close(): Promise<void> {
    this.closed = true;
    const providers = [...this.providers.values()];
    this.providers.clear();
    await Promise.all(
      providers.map(async (provider) => {
        const session = (provider as unknown as { client?: { session?: ClientHttp2Session } })
          .client?.session;
        // Stops node-apn's ping timers and refuses further sends; its promise may never settle.
        void provider.shutdown();
        if (session === undefined || session.destroyed) return;
        const gone = new Promise((resolve) => session.once('close', resolve));
        session.destroy();
        await gone;
      }),
    );
  }

  private async attempt(push: RenderedPush, env: ApnsEnv): Promise<SendResult> {
    let apn: typeof ApnModule;
    let provider: ApnModule.Provider;
    try {
      apn = await this.load();
      provider = this.provider(apn, env);
    } catch {
      // A bad key or a missing module: retrying the same call cannot help.
      return { kind: 'failed', retryable: false, reason: 'apns_setup_failed' };
    }
    try {
      const note = new apn.Notification();
      note.rawPayload = push.body;
      // node-apn builds headers from fields and adds apns-priority 10 when none is set;
      // Apple must receive exactly the rendered headers.
      const headers = appleHeaders(push.headers);
      Object.assign(note, { headers: () => headers });
      const { sent, failed } = await provider.send(note, push.token);
      const accepted = sent[0] as { 'apns-id'?: unknown } | undefined;
      if (accepted !== undefined) {
        const id = accepted['apns-id'];
        return typeof id === 'string'
          ? { kind: 'accepted', status: 200, providerId: id }
          : { kind: 'accepted', status: 200 };
      }
      return mapFailure(failed[0]);
    } catch {
      return NETWORK_ERROR;
    }
  }

  /** Loads node-apn on first use so cold starts that send nothing to Apple stay cheap. */
  private load(): Promise<typeof ApnModule> {
    this.module ??= import('@parse/node-apn').then(
      (m) => m.default,
      (error: unknown) => {
        this.module = undefined;
        throw error;
      },
    );
    return this.module;
  }

  private provider(apn: typeof ApnModule, env: ApnsEnv): ApnModule.Provider {
    const existing = this.providers.get(env);
    if (existing !== undefined) return existing;
    const origin = new URL(this.options.origins[env]);
    const { key, keyId, teamId, ca } = this.options;
    const provider = new apn.Provider({
      token: { key, keyId, teamId },
      address: origin.hostname,
      port: origin.port === '' ? 443 : Number(origin.port),
      production: env === 'production',
      connectionRetryLimit: 0,
      requestTimeout: LIBRARY_REQUEST_TIMEOUT_MS,
      ...(ca === undefined ? {} : { ca: [ca] }),
    });
    this.providers.set(env, provider);
    return provider;
  }
}

/** The rendered headers, minus anything that would override node-apn's pseudo-headers or JWT. */
function appleHeaders(rendered: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(rendered)) {
    const lower = name.toLowerCase();
    if (lower.startsWith(':') || lower === 'authorization') continue;
    out[lower] = value;
  }
  return out;
}

function mapFailure(failure: ApnFailure | undefined): SendResult {
  if (failure === undefined || typeof failure.status !== 'number') {
    // No HTTP answer: reset, refused, GOAWAY, or node-apn's own (longer) timeout.
    return failure?.error?.message === 'apn write timeout' ? TIMEOUT : NETWORK_ERROR;
  }
  const status = failure.status;
  const reason = appleReason(failure, status);
  if (status === 410 || (status === 400 && DEAD_TOKEN_400.has(reason))) {
    return { kind: 'dead_token', status, reason };
  }
  // node-apn has already signed a new JWT (see the file comment); InvalidProviderToken means
  // a wrong key, key id or team id, which a new JWT from the same key would not fix.
  if (status === 403) {
    return { kind: 'failed', retryable: reason === 'ExpiredProviderToken', status, reason };
  }
  return { kind: 'failed', retryable: status === 429 || status >= 500, status, reason };
}

/** node-apn hides Apple's reason for ExpiredProviderToken and 500 inside an Error message. */
function appleReason(failure: ApnFailure, status: number): string {
  const reason = failure.response?.reason;
  if (typeof reason === 'string') return reason;
  const message = failure.error?.message;
  if (status === 403 && message === 'ExpiredProviderToken') return 'ExpiredProviderToken';
  if (status === 500) return 'InternalServerError';
  return `http_${status}`;
}
