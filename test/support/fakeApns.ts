/**
 * A fake APNs provider API (`POST /3/device/{token}` over HTTP/2 + TLS) on 127.0.0.1, for one
 * environment. It checks the provider JWT and headers the way Apple documents, answers with
 * Apple's reasons, records what it received, and plays scripted faults per device token. What
 * Apple knows across environments (device tokens' environments, provider-token updates per team,
 * the clock) lives in an ApnsWorld that a production and a sandbox fake share.
 */
import http2 from 'node:http2';
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ApnsEnv } from '../../functions/core/send/push';
import { ApnsWorld } from './apnsWorld';
import { isRecord, listenLocal, parseJson } from './fakeServer';
import { TokenScripts } from './tokenScripts';

/** One scripted answer for a device token. */
export type ApnsFault =
  | { status: number; reason?: string }
  | 'ok'
  | 'unregistered'
  | 'bad_device_token'
  | 'not_for_topic'
  /**
   * 403 ExpiredProviderToken for this request; Apple then expects the team to renew, and the
   * client must present another JWT for this device token. One verdict, so the token stays good
   * for other instances (which keeps a run's other tests apart); `world.expire()` refuses a
   * token for good.
   */
  | 'expired_provider_token'
  /** RST_STREAM (INTERNAL_ERROR) without answering. */
  | 'reset'
  /** Never answers (until `close()`). */
  | 'hang'
  /**
   * GOAWAY naming the stream before this one as the last processed: this request was not
   * processed (Apple closing a connection), and the client must resend it on a new one.
   */
  | 'goaway'
  /** Answers 200, then GOAWAY naming this stream as the last processed: a graceful drain. */
  | 'ok_then_goaway';

/** A request as the fake received it. */
export interface ApnsRecordedRequest {
  method: string;
  path: string;
  token: string;
  /** Regular (non-pseudo) headers, authorization included. */
  headers: Record<string, string>;
  body: unknown;
  rawBody: string;
  jwt?: string;
  jwtHeader?: Record<string, unknown>;
  jwtClaims?: Record<string, unknown>;
  receivedAt: number;
  /** Status answered; undefined for 'reset', 'hang' and 'goaway'. */
  status?: number;
  /** Refused by a GOAWAY before processing: Apple never acted on it. */
  refusedByGoaway?: boolean;
  /** Refused for the provider token by Apple's own rules (age, expiry, updates per team). */
  providerTokenRefused?: boolean;
  /** Which connection (numbered from 1 per server) carried it. */
  connection: number;
  reason?: string;
  /** Set on the first request for a token after an ExpiredProviderToken: was the JWT new? */
  freshJwtAfterExpiry?: boolean;
}

/** Options for {@link FakeApns}. */
export interface FakeApnsOptions {
  keyId: string;
  teamId: string;
  /** The public half of the .p8 key the client signs with. */
  publicKey: crypto.KeyObject | string;
  /** Which APNs environment this server is (default production). */
  environment?: ApnsEnv;
  /** Shared with the other environment's fake; a new one (real clock) by default. */
  world?: ApnsWorld;
}

interface Answer {
  status: number;
  reason?: string;
  /** After answering, send GOAWAY naming this stream as the last processed. */
  then?: 'goaway';
}

const PUSH_TYPES =
  /^(alert|background|location|voip|complication|fileprovider|mdm|liveactivity|pushtotalk|widgets)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Apple's header rules: [header, reason when broken, what a valid value satisfies]. */
const HEADER_RULES: [string, string, (value: string, all: Record<string, string>) => boolean][] = [
  ['apns-push-type', 'InvalidPushType', (v) => PUSH_TYPES.test(v)],
  // A VoIP push goes to the app's `.voip` topic; Apple refuses the plain bundle id for it.
  [
    'apns-push-type',
    'BadTopic',
    (v, all) => v !== 'voip' || !!all['apns-topic']?.endsWith('.voip'),
  ],
  ['apns-priority', 'BadPriority', (v) => ['1', '5', '10'].includes(v)],
  ['apns-expiration', 'BadExpirationDate', (v) => /^\d+$/.test(v)],
  ['apns-collapse-id', 'BadCollapseId', (v) => Buffer.byteLength(v, 'utf8') <= 64],
  ['apns-id', 'BadMessageId', (v) => UUID.test(v)],
];
/** Apple's reason for a bare scripted status. */
const REASON_BY_STATUS: Record<number, string> = {
  403: 'Forbidden',
  404: 'BadPath',
  410: 'Unregistered',
  413: 'PayloadTooLarge',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  503: 'ServiceUnavailable',
};
const NAMED = {
  ok: { status: 200 },
  unregistered: { status: 410, reason: 'Unregistered' },
  bad_device_token: { status: 400, reason: 'BadDeviceToken' },
  not_for_topic: { status: 400, reason: 'DeviceTokenNotForTopic' },
  expired_provider_token: { status: 403, reason: 'ExpiredProviderToken' },
} satisfies Record<string, Answer>;

let certificate: Promise<{ key: string; cert: string }> | undefined;

/** A throwaway self-signed certificate for 127.0.0.1 and localhost, made once per process. */
export function selfSigned(): Promise<{ key: string; cert: string }> {
  certificate ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fake-apns-'));
    const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
    const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
    args.push('-nodes', '-days', '2', '-subj', '/CN=localhost', '-keyout', key, '-out', cert);
    args.push('-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
    try {
      await promisify(execFile)('openssl', args);
      return { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return certificate;
}

/** The fake server. Start it, give an ApnsSender its `origin` and `ca`, inspect `requests`. */
export class FakeApns extends TokenScripts<ApnsRecordedRequest, ApnsFault> {
  readonly environment: ApnsEnv;
  readonly world: ApnsWorld;
  /** Token → the JWT that was told it expired, until the token's next request. */
  private readonly awaitingFreshJwt = new Map<string, string>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly connectionIds = new WeakMap<http2.Http2Session, number>();
  /** Sessions that sent GOAWAY, and the last stream id each said it processed. */
  private readonly wentAway = new WeakMap<http2.Http2Session, number>();
  private readonly publicKey: crypto.KeyObject;
  private server: http2.Http2SecureServer | undefined;
  private caPem: string | undefined;
  private connectionsOpened = 0;

  constructor(private readonly options: FakeApnsOptions) {
    super();
    this.environment = options.environment ?? 'production';
    this.world = options.world ?? new ApnsWorld();
    this.publicKey =
      typeof options.publicKey === 'string'
        ? crypto.createPublicKey(options.publicKey)
        : options.publicKey;
  }

  /** The certificate (PEM) clients must trust; available once started. */
  get ca(): string {
    if (this.caPem === undefined) throw new Error('FakeApns not started');
    return this.caPem;
  }

  /** Listens on 127.0.0.1 (`port` 0 = ephemeral). */
  async start(port = 0): Promise<{ port: number; origin: string; ca: string }> {
    const { key, cert } = await selfSigned();
    this.caPem = cert;
    const server = http2.createSecureServer({ key, cert });
    server.on('session', (session) => {
      this.sessions.add(session);
      this.connectionsOpened += 1;
      this.connectionIds.set(session, this.connectionsOpened);
      session.on('close', () => this.sessions.delete(session));
      session.on('error', () => undefined);
    });
    server.on('stream', (stream, headers) => {
      this.handle(stream, headers);
    });
    this.server = server;
    const actual = await listenLocal(server, port);
    return { port: actual, origin: `https://127.0.0.1:${actual}`, ca: cert };
  }

  /**
   * The requests for `token` Apple acted on as pushes: every request but those refused for the
   * provider token by Apple's own rules, or left unprocessed by a GOAWAY. A client may resend
   * those at once (the same push), so counting pushes must skip them.
   */
  pushesFor(token: string): ApnsRecordedRequest[] {
    return this.requestsFor(token).filter((r) => !r.providerTokenRefused && !r.refusedByGoaway);
  }

  /** Says `token` was issued by this server's environment (unregistered: production). */
  register(token: string): void {
    this.world.register(token, this.environment);
  }

  /**
   * GOAWAY on every open connection, naming the last stream each received as processed (Apple
   * taking a server out of service): answered streams finish, new pushes need a new connection.
   */
  goAway(): void {
    for (const session of this.sessions) this.goAwayOn(session, lastStreamId(session));
  }

  /** Forgets requests, scripts, unregistered tokens, and the shared world's state. */
  override reset(): void {
    super.reset();
    this.world.reset();
    this.awaitingFreshJwt.clear();
  }

  /** Stops listening and destroys every session, hanging streams included. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
      for (const session of this.sessions) session.destroy();
    });
  }

  /** GOAWAY (NO_ERROR) with a JSON reason, naming `last` as the last processed stream. */
  private goAwayOn(session: http2.Http2Session | undefined, last: number): void {
    if (session === undefined || session.destroyed || session.closed) return;
    const lastId = Math.max(0, last);
    this.wentAway.set(session, lastId);
    session.goaway(http2.constants.NGHTTP2_NO_ERROR, lastId, Buffer.from('{"reason":"Shutdown"}'));
  }

  private handle(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const receivedAt = Date.now();
    const chunks: Buffer[] = [];
    stream.on('error', () => undefined);
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const reqPath = headers[':path'] ?? '';
      const record: ApnsRecordedRequest = {
        method: headers[':method'] ?? '',
        path: reqPath,
        token: /^\/3\/device\/([^/?]*)$/.exec(reqPath)?.[1] ?? '',
        headers: plainHeaders(headers),
        body: parseJson(rawBody),
        rawBody,
        receivedAt,
        connection: stream.session ? (this.connectionIds.get(stream.session) ?? 0) : 0,
      };
      this.requests.push(record);
      const last = stream.session === undefined ? undefined : this.wentAway.get(stream.session);
      const streamId = stream.id ?? 0;
      if (last !== undefined && streamId > last) {
        // Above the GOAWAY's last stream id: not processed, whatever arrived.
        record.refusedByGoaway = true;
        return;
      }
      const answer = this.answer(record);
      if (answer === 'hang' || stream.destroyed) return;
      if (answer === 'reset') {
        stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
        return;
      }
      if (answer === 'goaway') {
        record.refusedByGoaway = true;
        // Node cannot send a last stream id of 0 (it puts the last one it processed instead),
        // so a connection's first stream is also refused explicitly (RFC 9113 §8.7).
        if (streamId <= 1) stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        this.goAwayOn(stream.session, streamId - 2);
        return;
      }
      const { status, reason, then } = answer;
      record.status = status;
      const apnsId = record.headers['apns-id'] ?? crypto.randomUUID().toUpperCase();
      stream.respond({ ':status': status, 'apns-id': apnsId });
      if (reason === undefined) {
        stream.end();
      } else {
        record.reason = reason;
        const timestamp = status === 410 ? { timestamp: this.world.now() } : {};
        stream.end(JSON.stringify({ reason, ...timestamp }));
      }
      if (then === 'goaway') this.goAwayOn(stream.session, streamId);
    });
  }

  /**
   * Apple's checks, in its order: path, provider token, device token (its environment included),
   * headers, payload, then the script.
   */
  private answer(r: ApnsRecordedRequest): Answer | 'reset' | 'hang' | 'goaway' {
    if (!r.path.startsWith('/3/device/')) return { status: 404, reason: 'BadPath' };
    if (r.method !== 'POST') return { status: 405, reason: 'MethodNotAllowed' };
    const auth = this.checkJwt(r);
    const expiredJwt = this.awaitingFreshJwt.get(r.token);
    if (expiredJwt !== undefined) {
      r.freshJwtAfterExpiry = r.jwt !== expiredJwt;
      this.awaitingFreshJwt.delete(r.token);
    }
    if (auth !== undefined) return auth;
    if (r.token === '') return { status: 400, reason: 'MissingDeviceToken' };
    if (!/^[0-9a-fA-F]+$/.test(r.token)) return { status: 400, reason: 'BadDeviceToken' };
    // A sandbox token at production, or the reverse: Apple knows no such device there.
    if (this.world.environmentOf(r.token) !== this.environment) {
      return { status: 400, reason: 'BadDeviceToken' };
    }
    const invalid = checkHeaders(r.headers) ?? checkPayload(r);
    if (invalid !== undefined) return invalid;
    const fault = this.nextFault(r.token);
    if (fault === 'reset' || fault === 'hang' || fault === 'goaway') return fault;
    if (fault === 'ok_then_goaway') return { status: 200, then: 'goaway' };
    if (fault === 'expired_provider_token' && r.jwt !== undefined) {
      this.world.expectRenewal(this.options.teamId);
      this.awaitingFreshJwt.set(r.token, r.jwt);
    }
    if (typeof fault === 'string') return NAMED[fault];
    return {
      status: fault.status,
      reason: fault.reason ?? REASON_BY_STATUS[fault.status] ?? 'BadRequest',
    };
  }

  /**
   * ES256 JWT with our kid, iss = team id, signed by the known key; then Apple's verdict on the
   * token itself (age, expiry, updates per team).
   */
  private checkJwt(r: ApnsRecordedRequest): Answer | undefined {
    const auth = r.headers.authorization;
    if (auth === undefined) return { status: 403, reason: 'MissingProviderToken' };
    const invalid = { status: 403, reason: 'InvalidProviderToken' };
    r.jwt = /^bearer (.+)$/i.exec(auth)?.[1] ?? '';
    const [h = '', c = '', sig = '', ...extra] = r.jwt.split('.');
    const header = parseJson(Buffer.from(h, 'base64url').toString('utf8'));
    const claims = parseJson(Buffer.from(c, 'base64url').toString('utf8'));
    if (extra.length > 0 || !isRecord(header) || !isRecord(claims)) return invalid;
    r.jwtHeader = header;
    r.jwtClaims = claims;
    const { keyId, teamId } = this.options;
    if (header.alg !== 'ES256' || header.kid !== keyId || claims.iss !== teamId) return invalid;
    const key = { key: this.publicKey, dsaEncoding: 'ieee-p1363' as const };
    const signature = Buffer.from(sig, 'base64url');
    if (!crypto.verify('sha256', Buffer.from(`${h}.${c}`), key, signature)) return invalid;
    if (typeof claims.iat !== 'number') return invalid;
    const verdict = this.world.judge(teamId, r.jwt, claims.iat);
    if (verdict === 'ok') return undefined;
    r.providerTokenRefused = true;
    return { status: verdict === 'ExpiredProviderToken' ? 403 : 429, reason: verdict };
  }
}

/** The last stream the client sent anything on (Node's `lastProcStreamID`). */
function lastStreamId(session: http2.Http2Session): number {
  return session.state.lastProcStreamID ?? 0;
}

function checkHeaders(h: Record<string, string>): Answer | undefined {
  if (!h['apns-topic']) return { status: 400, reason: 'MissingTopic' };
  const broken = HEADER_RULES.find(([name, , valid]) => {
    const value = h[name];
    return value !== undefined && !valid(value, h);
  });
  return broken === undefined ? undefined : { status: 400, reason: broken[1] };
}

function checkPayload(r: ApnsRecordedRequest): Answer | undefined {
  if (r.rawBody === '') return { status: 400, reason: 'PayloadEmpty' };
  const limit = r.headers['apns-push-type'] === 'voip' ? 5120 : 4096;
  const size = Buffer.byteLength(r.rawBody, 'utf8');
  if (size > limit) return { status: 413, reason: 'PayloadTooLarge' };
  // Apple documents no reason for a payload that is not a JSON object; this one is ours.
  return isRecord(r.body) ? undefined : { status: 400, reason: 'BadPayload' };
}

function plainHeaders(headers: http2.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
