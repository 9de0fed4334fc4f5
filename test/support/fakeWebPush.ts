/**
 * A fake Web Push service (RFC 8030) on 127.0.0.1 over HTTPS, standing in for a browser vendor's
 * push service and, behind it, the browser. It hands out subscriptions as PushManager.subscribe()
 * does (an endpoint, a P-256 key and an auth secret, optionally restricted to one VAPID key);
 * it checks each push as push services do: the VAPID token (RFC 8292: ES256 signature by `k`,
 * `aud` its own origin, `exp` within 24 hours, a `sub`), the subscription's key restriction
 * (403), TTL, Urgency and Topic (RFC 8030 §5), the 4096-byte limit (413); and it decrypts the
 * payload with the subscription's private key as the browser would (RFC 8291, through http_ece,
 * not our code). Stricter than a real service in one way: a payload that does not decrypt is
 * refused with 400 (a real service takes it, and the browser drops it silently).
 *
 * Delivery: a subscription is online (its browser connected) or not. Online, an accepted
 * message is delivered at once (`onDeliver`); offline, it is queued, and a later message with
 * the same Topic replaces it (RFC 8030 §5.4); `connect()` delivers the queue.
 */
import { createECDH, createPublicKey, randomBytes, verify, type ECDH } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import ece from 'http_ece';
import { selfSigned } from './fakeApns';
import { closeServer, listenLocal, readBody } from './fakeServer';
import { TokenScripts } from './tokenScripts';

/** One scripted answer for an endpoint. */
export type WebPushFault =
  | { status: number; retryAfter?: number | string }
  | 'ok'
  | 'unregistered'
  /** Closes the connection without answering. */
  | 'reset'
  /** Never answers (until `close()`). */
  | 'hang';

/** What the fake received, as it judged it. */
export interface WebPushRecordedRequest {
  /** The endpoint pushed to (the subscription's "token"). */
  token: string;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  bodyBytes: number;
  receivedAt: number;
  status?: number;
  /** Why it was refused, when it was. */
  problem?: string;
  /** The VAPID token's claims and the key that signed it, once verified. */
  vapid?: { claims: Record<string, unknown>; key: string };
  ttl?: number;
  urgency?: string;
  topic?: string;
  /** The decrypted payload (undefined for a push without one). */
  payload?: string;
}

/** A message the service accepted, and its fate. */
export interface WebPushMessage {
  id: string;
  endpoint: string;
  topic?: string;
  urgency: string;
  payload?: string;
  acceptedAt: number;
  expiresAt: number;
  deliveredAt?: number;
  /** Replaced, while queued, by a later message with the same topic. */
  replacedBy?: string;
}

interface Subscription {
  endpoint: string;
  ecdh: ECDH;
  auth: Buffer;
  applicationServerKey?: string;
  online: boolean;
  queue: WebPushMessage[];
}

/** A subscription as the browser's PushSubscription.toJSON() gives it. */
export interface SubscriptionJson {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

const URGENCIES = new Set(['very-low', 'low', 'normal', 'high']);
const TOPIC = /^[A-Za-z0-9_-]{1,32}$/;
const MAX_PAYLOAD = 4096;
const DAY_S = 24 * 3600;

const b64 = (buf: Buffer) => buf.toString('base64url');

export class FakeWebPush extends TokenScripts<WebPushRecordedRequest, WebPushFault> {
  private server: https.Server | undefined;
  private originUrl: string | undefined;
  private caPem: string | undefined;
  private readonly subscriptions = new Map<string, Subscription>();
  /** Every accepted message, in order. */
  readonly messages: WebPushMessage[] = [];
  /** Called with each message as it reaches its browser. */
  onDeliver: ((message: WebPushMessage) => void) | undefined;

  get origin(): string {
    if (this.originUrl === undefined) throw new Error('FakeWebPush not started');
    return this.originUrl;
  }

  get ca(): string {
    if (this.caPem === undefined) throw new Error('FakeWebPush not started');
    return this.caPem;
  }

  /**
   * A new subscription, as PushManager.subscribe() makes one: restricted to
   * `applicationServerKey` (the VAPID public key, base64url) when given. Online unless told.
   */
  subscribe(options: { applicationServerKey?: string; online?: boolean } = {}): SubscriptionJson {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const endpoint = `${this.origin}/wpush/wp_${b64(randomBytes(24))}`;
    const auth = randomBytes(16);
    this.subscriptions.set(endpoint, {
      endpoint,
      ecdh,
      auth,
      online: options.online ?? true,
      queue: [],
      ...(options.applicationServerKey
        ? { applicationServerKey: options.applicationServerKey }
        : {}),
    });
    return { endpoint, keys: { p256dh: b64(ecdh.getPublicKey()), auth: b64(auth) } };
  }

  /** The browser goes away (its pushes queue) or comes back (the queue is delivered). */
  setOnline(endpoint: string, online: boolean): void {
    const sub = this.subscriptions.get(endpoint);
    if (!sub) throw new Error('unknown subscription');
    sub.online = online;
    if (!online) return;
    const now = Date.now();
    for (const message of sub.queue.splice(0)) {
      if (message.expiresAt < now) continue; // its TTL ran out while queued
      this.deliver(message);
    }
  }

  /** Messages still queued for an offline subscription. */
  queued(endpoint: string): WebPushMessage[] {
    return [...(this.subscriptions.get(endpoint)?.queue ?? [])];
  }

  /** Messages that reached the subscription's browser, in order. */
  deliveredTo(endpoint: string): WebPushMessage[] {
    return this.messages.filter((m) => m.endpoint === endpoint && m.deliveredAt !== undefined);
  }

  async start(port = 0): Promise<{ origin: string; ca: string }> {
    const { key, cert } = await selfSigned();
    this.caPem = cert;
    const server = https.createServer({ key, cert }, (req, res) => {
      this.handle(req, res);
    });
    this.server = server;
    this.originUrl = `https://127.0.0.1:${await listenLocal(server, port)}`;
    return { origin: this.originUrl, ca: cert };
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }

  private handle(req: IncomingMessage, res: ServerResponse) {
    readBody(req, res, (body, receivedAt) => {
      const endpoint = `${this.origin}${req.url ?? ''}`;
      const record: WebPushRecordedRequest = {
        token: endpoint,
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        bodyBytes: body.length,
        receivedAt,
      };
      this.requests.push(record);
      const answer = this.judge(req, body, endpoint, record);
      if (answer === 'reset') {
        // A TLS socket cannot send a TCP RST from here: close it under the request instead.
        req.socket.destroy();
        return;
      }
      if (answer === 'hang') return;
      record.status = answer.status;
      if (answer.problem !== undefined) record.problem = answer.problem;
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.problem ?? '');
    });
  }

  /** The service's order: route, VAPID, key restriction, headers, size, payload, the endpoint's fate. */
  private judge(
    req: IncomingMessage,
    body: Buffer,
    endpoint: string,
    record: WebPushRecordedRequest,
  ): { status: number; problem?: string; headers?: Record<string, string> } | 'reset' | 'hang' {
    const sub = this.subscriptions.get(endpoint);
    if (req.method !== 'POST' || !sub) return { status: 404, problem: 'no such subscription' };
    const vapid = verifyVapid(req.headers.authorization, this.origin);
    if (typeof vapid === 'string') return { status: 401, problem: vapid };
    record.vapid = vapid;
    if (sub.applicationServerKey !== undefined && vapid.key !== sub.applicationServerKey) {
      return { status: 403, problem: 'the VAPID key is not the one the subscription was made for' };
    }
    const ttlHeader = req.headers.ttl;
    if (typeof ttlHeader !== 'string' || !/^\d+$/.test(ttlHeader)) {
      return { status: 400, problem: 'a TTL header (whole seconds) is required' };
    }
    record.ttl = Number(ttlHeader);
    const urgency = req.headers.urgency ?? 'normal';
    if (typeof urgency !== 'string' || !URGENCIES.has(urgency)) {
      return { status: 400, problem: 'Urgency must be very-low, low, normal or high' };
    }
    record.urgency = urgency;
    const topic = req.headers.topic;
    if (topic !== undefined) {
      if (typeof topic !== 'string' || !TOPIC.test(topic)) {
        return { status: 400, problem: 'Topic must be 1-32 base64url characters' };
      }
      record.topic = topic;
    }
    if (body.length > MAX_PAYLOAD) return { status: 413, problem: 'payload over 4096 bytes' };
    if (body.length > 0) {
      if (req.headers['content-encoding'] !== 'aes128gcm') {
        return { status: 400, problem: 'a payload must be Content-Encoding: aes128gcm' };
      }
      try {
        record.payload = ece
          .decrypt(body, { version: 'aes128gcm', privateKey: sub.ecdh, authSecret: b64(sub.auth) })
          .toString('utf8');
      } catch {
        return { status: 400, problem: 'the payload does not decrypt with the subscription keys' };
      }
    }
    const fault = this.nextFault(endpoint);
    if (fault === 'reset' || fault === 'hang') return fault;
    if (fault === 'unregistered') return { status: 410, problem: 'subscription gone' };
    if (fault !== 'ok') {
      const headers: Record<string, string> =
        fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
      return { status: fault.status, problem: `scripted ${fault.status}`, headers };
    }
    const message: WebPushMessage = {
      id: b64(randomBytes(12)),
      endpoint,
      urgency,
      acceptedAt: Date.now(),
      expiresAt: Date.now() + record.ttl * 1000,
      ...(record.topic ? { topic: record.topic } : {}),
      ...(record.payload !== undefined ? { payload: record.payload } : {}),
    };
    this.messages.push(message);
    this.route(sub, message, record.ttl);
    return { status: 201, headers: { location: `${this.origin}/m/${message.id}` } };
  }

  private route(sub: Subscription, message: WebPushMessage, ttl: number): void {
    if (sub.online) {
      this.deliver(message);
      return;
    }
    if (ttl === 0) return; // RFC 8030 §5.2: delivered now or not at all
    const same = sub.queue.findIndex(
      (m) => message.topic !== undefined && m.topic === message.topic,
    );
    if (same >= 0) {
      const replaced = sub.queue[same];
      if (replaced) replaced.replacedBy = message.id;
      sub.queue.splice(same, 1, message);
    } else {
      sub.queue.push(message);
    }
  }

  private deliver(message: WebPushMessage): void {
    message.deliveredAt = Date.now();
    this.onDeliver?.(message);
  }
}

/**
 * RFC 8292's `vapid t=<JWT>, k=<public key>`: the claims and key when the JWT verifies, else why
 * not. ES256 signatures are raw r‖s (JWS), so verify with the IEEE P1363 encoding.
 */
function verifyVapid(
  header: string | undefined,
  origin: string,
): { claims: Record<string, unknown>; key: string } | string {
  const match = /^vapid\s+(.+)$/i.exec(header ?? '');
  if (!match?.[1]) return 'an Authorization: vapid t=..., k=... header is required';
  const params = Object.fromEntries(
    match[1].split(',').map((part) => {
      const [name = '', ...rest] = part.trim().split('=');
      return [name.toLowerCase(), rest.join('=')];
    }),
  );
  const { t: jwt, k: key } = params;
  if (!jwt || !key) return 'the vapid scheme needs t and k';
  const [h = '', p = '', s = ''] = jwt.split('.');
  let header2: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header2 = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return 'the token is not a JWT';
  }
  if (header2.alg !== 'ES256') return 'the token must be signed with ES256';
  const point = Buffer.from(key, 'base64url');
  if (point.length !== 65 || point[0] !== 4) return 'k must be an uncompressed P-256 key';
  let ok = false;
  try {
    const publicKey = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: b64(point.subarray(1, 33)), y: b64(point.subarray(33)) },
      format: 'jwk',
    });
    ok = verify(
      'sha256',
      Buffer.from(`${h}.${p}`),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(s, 'base64url'),
    );
  } catch {
    ok = false;
  }
  if (!ok) return 'the token signature does not verify with k';
  const now = Math.floor(Date.now() / 1000);
  if (claims.aud !== origin) return `aud must be the push service origin ${origin}`;
  if (typeof claims.exp !== 'number' || claims.exp <= now) return 'the token has expired';
  if (claims.exp > now + DAY_S + 60) return 'exp is more than 24 hours ahead';
  if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub)) {
    return 'sub must be a mailto: or https: contact';
  }
  return { claims, key };
}
