/**
 * Web Push sender (RFC 8030 delivery, RFC 8291 encryption, RFC 8292 VAPID). The protocol is
 * web-push's, the reference implementation: generateRequestDetails() encrypts the payload
 * (aes128gcm, through http_ece) and signs the VAPID JWT (ES256, `aud` the endpoint's origin,
 * `exp` 12 hours ahead, within RFC 8292's 24, `sub` our contact) and checks TTL, Urgency and
 * Topic (web-push src/web-push-lib.js). The request itself goes out here, on node:https, so
 * that it is bounded by the call's deadline and connects only to public addresses (its
 * sendNotification has neither).
 */
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { PushSender, RenderedPush, SendResult } from '../core/send/push';
import { endpointRefusal } from '../core/devices/webPushEndpoint';
import { EndpointRefusedError, guardedLookup } from './endpointGuard';
import type { VapidKeys } from './vapidKey';
import { retryableFailure, sendByDeadline } from './byDeadline';

/* eslint-disable @typescript-eslint/no-require-imports */
const loadWebPush = () => require('web-push') as typeof import('web-push');
/* eslint-enable @typescript-eslint/no-require-imports */

export interface WebPushSenderOptions {
  vapid: VapidKeys & { subject: string };
  /** Extra CA to trust (the test push service's self-signed certificate). */
  ca?: string;
  /** Push service origins exempt from the public-address rule (the local stack's tests only). */
  testOrigins?: readonly string[];
  /** How host names resolve (guarded); tests substitute their own. */
  lookup?: LookupFunction;
}

interface Answer {
  status: number;
  retryAfter: string | null;
}

/** The most of a push service's answer body read: its text is never kept. */
const MAX_ANSWER_BYTES = 8 * 1024;

export class WebPushSender implements PushSender {
  private readonly agent: https.Agent;
  private readonly testOrigins: readonly string[];

  constructor(private readonly options: WebPushSenderOptions) {
    this.testOrigins = options.testOrigins ?? [];
    const exempt = this.testOrigins.map((origin) => new URL(origin).hostname);
    this.agent = new https.Agent({
      keepAlive: true,
      ...(options.ca ? { ca: options.ca } : {}),
      lookup: options.lookup ?? guardedLookup(exempt),
    });
  }

  /** POSTs `push` to its subscription's endpoint; never throws, settles by `deadline`. */
  async send(push: RenderedPush, deadline: number): Promise<SendResult> {
    const refusal = endpointRefusal(push.url, this.testOrigins);
    if (refusal !== null) return { kind: 'failed', retryable: false, reason: 'endpoint_refused' };
    let details: ReturnType<ReturnType<typeof loadWebPush>['generateRequestDetails']>;
    try {
      details = this.requestDetails(push);
    } catch {
      // Keys the library cannot encrypt to; registration checks them, so this is a stored oddity.
      return { kind: 'failed', retryable: false, reason: 'invalid_subscription' };
    }
    return sendByDeadline(
      deadline,
      async (signal) => mapAnswer(await this.post(push.url, details, signal)),
      (err) =>
        err instanceof EndpointRefusedError
          ? { kind: 'failed', retryable: false, reason: 'endpoint_refused' }
          : undefined,
    );
  }

  private requestDetails(push: RenderedPush) {
    const { vapid } = this.options;
    const keys = push.webPushKeys;
    const subscription = { endpoint: push.url, keys: keys ?? { p256dh: '', auth: '' } };
    const topic = push.headers.Topic;
    return loadWebPush().generateRequestDetails(
      subscription,
      keys ? JSON.stringify(push.body) : undefined,
      {
        vapidDetails: vapid,
        TTL: Number(push.headers.TTL ?? 0),
        urgency: (push.headers.Urgency ?? 'normal') as 'high',
        ...(topic ? { topic } : {}),
        contentEncoding: 'aes128gcm',
      },
    );
  }

  private post(
    url: string,
    details: { method: string; headers: Record<string, unknown>; body: Buffer | null },
    signal: AbortSignal,
  ): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      const headers = Object.fromEntries(
        Object.entries(details.headers).map(([name, value]) => [name, String(value)]),
      );
      const request = https.request(
        url,
        { method: details.method, headers, agent: this.agent, signal },
        (response) => {
          let read = 0;
          response.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > MAX_ANSWER_BYTES) response.destroy();
          });
          response.on('error', reject);
          response.on('close', () => {
            const retryAfter = response.headers['retry-after'];
            resolve({
              status: response.statusCode ?? 0,
              retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
            });
          });
        },
      );
      request.on('error', reject);
      request.end(details.body ?? undefined);
    });
  }
}

/**
 * A push service's answer as an outcome (RFC 8030 §5, RFC 8292 §4, and what the services
 * document): 201 accepted; 404 and 410 the subscription is gone; 413 the payload is over
 * 4096 bytes; 429 and 5xx are worth another try, after Retry-After. 401 (our VAPID token refused)
 * and 403 (the subscription belongs to another VAPID key) are not the subscription's death: a
 * key mix-up of ours must not delete every browser.
 */
export function mapAnswer({ status, retryAfter }: Answer): SendResult {
  if (status >= 200 && status < 300) return { kind: 'accepted', status };
  if (status === 404) return { kind: 'dead_token', status, reason: 'not_found' };
  if (status === 410) return { kind: 'dead_token', status, reason: 'gone' };
  const named: Record<number, string> = {
    400: 'bad_request',
    401: 'vapid_unauthorized',
    403: 'vapid_key_mismatch',
    413: 'payload_too_large',
    429: 'too_many_requests',
  };
  const reason = named[status] ?? `http_${status}`;
  if (status === 429 || status >= 500) {
    return retryableFailure(status, reason, retryAfter);
  }
  return { kind: 'failed', retryable: false, status, reason };
}
