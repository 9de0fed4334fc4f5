import { CallRateLimiter } from '../../functions/core/ring/extensionCallRate';
import { limitError } from '../../functions/core/errors';
import { INVITATION_TTL_MS } from '../../functions/core/limits';
import { signingKeyId, signingSecretFor } from '../../functions/core/access/pbxSignature';
import type {
  CallCounts,
  HeldLongPoll,
  Invitation,
  LongPolls,
  Membership,
  MemberStore,
  PairingCode,
  PairingStore,
  RateLimit,
  RateLimiter,
  ReplayGuard,
  Tenant,
} from '../../functions/core/ports';
import { windowKey, withinLimit } from '../../functions/core/access/rateWindow';
import type {
  Provider,
  PushMeta,
  PushSender,
  RenderedPush,
  SendResult,
} from '../../functions/core/send/push';
import type { PushDeployment } from '../../functions/core/devices/pushAddress';
import type { PushEndpoints } from '../../functions/core/render/incomingPush';
import type { ApiContext, ApiRequest } from '../../functions/http/types';
import { vetWebPushEndpoint } from '../../functions/push/endpointGuard';
import { FakeCallStore } from './fakeCallStore';
import { FakeClock } from './fakeClock';
import { FakeDeviceStore } from './fakeDeviceStore';
import { FakeOperations } from './fakeOperations';
import { PROJECT_ID } from './project';

export { FakeCallStore, type AnswerDoc, type StoreWrite } from './fakeCallStore';
export { FakeClock } from './fakeClock';
export { FakeDeviceStore } from './fakeDeviceStore';
export { mergeDeep } from '../../functions/core/call/patch';

/** Plain in-memory fakes of the core's ports, for unit tests. */

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Lets every pending promise callback run (one macrotask turn). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface SentPush {
  push: RenderedPush;
  deadline: number;
  meta: PushMeta | undefined;
  /** Virtual time when the send started. */
  at: number;
}

type Reply = SendResult | Error | Deferred<SendResult>;

/**
 * Answers each send from a script keyed by token (the last reply repeats), or
 * `accepted` when the token has no script. An Error reply is thrown.
 */
export class FakeSender implements PushSender {
  readonly sent: SentPush[] = [];
  private readonly scripts = new Map<string, Reply[]>();

  constructor(
    private readonly clock?: FakeClock,
    /** Virtual milliseconds each send takes. */
    private readonly sendMs = 0,
  ) {}

  script(token: string, ...replies: Reply[]): this {
    this.scripts.set(token, replies);
    return this;
  }

  sentTo(token: string): SentPush[] {
    return this.sent.filter((s) => s.push.token === token);
  }

  async send(push: RenderedPush, deadline: number, meta?: PushMeta): Promise<SendResult> {
    this.sent.push({ push, deadline, meta, at: this.clock?.now() ?? Date.now() });
    const replies = this.scripts.get(push.token) ?? [];
    const reply = replies.length > 1 ? replies.shift() : replies[0];
    if (this.clock && this.sendMs > 0) await this.clock.sleep(this.sendMs);
    if (reply === undefined) return { kind: 'accepted', status: 200 };
    if (reply instanceof Error) throw reply;
    if ('promise' in reply) return reply.promise;
    return reply;
  }
}

/** Members (and the PBX's invitations) in memory. */
export class FakeMemberStore implements MemberStore {
  private readonly members = new Set<string>();
  readonly invitations = new Map<string, Invitation>();
  private readonly key = (tenant: string, extension: string, uid: string) =>
    JSON.stringify([tenant, extension, uid]);

  /** `devices`: whose devices a membership's end removes, as the Firestore store does. */
  constructor(private readonly devices?: FakeDeviceStore) {}

  /** Synchronously, for the device store's checks and for assertions. */
  has(tenant: string, extension: string, uid: string): boolean {
    return this.members.has(this.key(tenant, extension, uid));
  }

  /** Whether the extension has any member. */
  hasAny(tenant: string, extension: string): boolean {
    const prefix = JSON.stringify([tenant, extension]).slice(0, -1);
    return [...this.members].some((key) => key.startsWith(`${prefix},`));
  }

  isMember(tenant: string, extension: string, uid: string): Promise<boolean> {
    return Promise.resolve(this.has(tenant, extension, uid));
  }

  add(tenant: string, extension: string, uid: string): Promise<boolean> {
    const key = this.key(tenant, extension, uid);
    const added = !this.members.has(key);
    this.members.add(key);
    return Promise.resolve(added);
  }

  invite(
    tenant: string,
    extension: string,
    uid: string,
    now: number,
    maxPending: number,
  ): Promise<'member' | 'invited' | 'already_invited'> {
    const key = this.key(tenant, extension, uid);
    if (this.members.has(key)) return Promise.resolve('member');
    if ((this.invitations.get(key)?.expiresAt ?? 0) > now) {
      return Promise.resolve('already_invited');
    }
    const pending = [...this.invitations.values()].filter(
      (i) => i.tenant === tenant && i.extension === extension && i.expiresAt > now,
    ).length;
    if (pending >= maxPending) {
      return Promise.reject(
        limitError('pending_invitations_per_extension', 409, 'too many invitations'),
      );
    }
    this.invitations.set(key, {
      tenant,
      extension,
      uid,
      createdAt: now,
      expiresAt: now + INVITATION_TTL_MS,
    });
    return Promise.resolve('invited');
  }

  invitationsOf(uid: string, now: number): Promise<Invitation[]> {
    return Promise.resolve(
      [...this.invitations.values()].filter((i) => i.uid === uid && i.expiresAt > now),
    );
  }

  answerInvitation(
    tenant: string,
    extension: string,
    uid: string,
    accept: boolean,
    now: number,
  ): Promise<boolean> {
    const key = this.key(tenant, extension, uid);
    const invitation = this.invitations.get(key);
    this.invitations.delete(key);
    if (!invitation || invitation.expiresAt <= now) return Promise.resolve(false);
    if (accept) this.members.add(key);
    return Promise.resolve(true);
  }

  remove(tenant: string, extension: string, uid: string): Promise<boolean> {
    this.devices?.removeOwned(tenant, extension, uid);
    const key = this.key(tenant, extension, uid);
    const invited = this.invitations.delete(key);
    return Promise.resolve(this.members.delete(key) || invited);
  }

  membershipsOf(uid: string): Promise<Membership[]> {
    const all = [...this.members].map((k) => JSON.parse(k) as [string, string, string]);
    return Promise.resolve(
      all.filter(([, , u]) => u === uid).map(([tenant, extension]) => ({ tenant, extension })),
    );
  }
}

/** Pairing codes in memory. */
export class FakePairingStore implements PairingStore {
  readonly codes = new Map<string, PairingCode & { usedBy?: string }>();

  create(codeHash: string, code: PairingCode): Promise<void> {
    // As Firestore's create(): a hash stored already is refused, never overwritten.
    if (this.codes.has(codeHash)) {
      return Promise.reject(new Error(`6 ALREADY_EXISTS: pairing code ${codeHash}`));
    }
    this.codes.set(codeHash, { ...code });
    return Promise.resolve();
  }

  redeem(
    codeHash: string,
    uid: string,
    now: number,
    expect?: { tenant: string; extension: string },
  ): Promise<PairingCode | 'unknown' | 'expired' | 'used'> {
    const code = this.codes.get(codeHash);
    if (!code) return Promise.resolve('unknown');
    if (expect && (code.tenant !== expect.tenant || code.extension !== expect.extension))
      return Promise.resolve('unknown');
    if (code.usedBy !== undefined) return Promise.resolve('used');
    if (code.expiresAt <= now) return Promise.resolve('expired');
    code.usedBy = uid;
    return Promise.resolve({
      tenant: code.tenant,
      extension: code.extension,
      expiresAt: code.expiresAt,
    });
  }
}

/** Fixed-window counters in memory, counted as the Firestore limiter counts them. */
export class FakeRateLimiter implements RateLimiter {
  readonly counts = new Map<string, number>();

  reserve(limits: readonly RateLimit[], now: number): Promise<boolean> {
    const after = limits.map((l) => {
      const key = windowKey(l.key, now, l.windowMs);
      const count = (this.counts.get(key) ?? 0) + 1;
      this.counts.set(key, count);
      return count;
    });
    return Promise.resolve(after.every((count, i) => withinLimit(count, limits[i]!.limit)));
  }

  release(limits: readonly RateLimit[], now: number): Promise<void> {
    for (const l of limits) {
      const key = windowKey(l.key, now, l.windowMs);
      this.counts.set(key, (this.counts.get(key) ?? 0) - 1);
    }
    return Promise.resolve();
  }
}

/** The tenant-wide call counts over a FakeCallStore's calls, as the count queries see them. */
export class FakeCallCounts implements CallCounts {
  constructor(private readonly calls: FakeCallStore) {}

  createdSince(tenant: string, since: number): Promise<number> {
    return Promise.resolve(
      this.calls.all().filter((c) => c.tenant === tenant && c.createdAt >= since).length,
    );
  }

  ringing(tenant: string, now: number): Promise<number> {
    return Promise.resolve(
      this.calls
        .all()
        .filter((c) => c.tenant === tenant && c.status === 'ringing' && c.expiresAt > now).length,
    );
  }
}

/** Long-polls held, in memory. */
export class FakeLongPolls implements LongPolls {
  /** Those held: an ended one is removed, and one whose holder died lapses at `until`. */
  private readonly polls = new Set<{
    tenant: string;
    callUuid: string;
    until: number;
    heldAt: number;
  }>();

  hold(
    tenant: string,
    callUuid: string,
    limit: number,
    now: number,
    maxMs: number,
  ): Promise<HeldLongPoll | null> {
    const held = [...this.polls].filter((p) => p.tenant === tenant && p.until > now).length;
    if (held >= limit) return Promise.resolve(null);
    const poll = { tenant, callUuid, until: now + maxMs, heldAt: now };
    this.polls.add(poll);
    return Promise.resolve({
      heldAt: now,
      end: () => {
        this.polls.delete(poll);
        return Promise.resolve();
      },
    });
  }

  watching(tenant: string, callUuid: string, until: number, heldBefore?: number): Promise<boolean> {
    return Promise.resolve(
      [...this.polls].some(
        (p) =>
          p.tenant === tenant &&
          p.callUuid === callUuid &&
          p.until > until &&
          (heldBefore === undefined || p.heldAt < heldBefore),
      ),
    );
  }
}

/** Signed requests claimed, in memory. */
export class FakeReplayGuard implements ReplayGuard {
  readonly claimed = new Set<string>();

  claim(id: string): Promise<boolean> {
    if (this.claimed.has(id)) return Promise.resolve(false);
    this.claimed.add(id);
    return Promise.resolve(true);
  }
}
/** For the providers a test sends nothing to: any push there is a test's mistake. */
export const UNUSED_SENDER: PushSender = {
  send: () => Promise.reject(new Error('no push to this provider is expected here')),
};

export const TEST_ENDPOINTS: PushEndpoints = {
  projectId: PROJECT_ID,
  fcmOrigin: 'https://fcm.test',
  apnsOrigins: { production: 'https://apns.test', sandbox: 'https://apns-sandbox.test' },
  hms: { origin: 'https://hms.test', clientId: '101234567' },
};

/** The deployment the unit tests' RFC 8599 addresses name: Apple team and Firebase project. */
export const TEST_PUSH_DEPLOYMENT: PushDeployment = {
  apnsTeamId: 'ABCDE12345',
  fcmProjectId: TEST_ENDPOINTS.projectId,
  fcmSenderId: '123456789012',
  providers: new Set<Provider>(['fcm', 'apns', 'webpush', 'hms']),
};

/** The VAPID public key the unit tests' deployment answers with. */
export const TEST_VAPID_PUBLIC_KEY =
  'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM';

export type FakeApiContext = ApiContext & {
  operations: FakeOperations;
  devices: FakeDeviceStore;
  calls: FakeCallStore;
  members: FakeMemberStore;
  pairing: FakePairingStore;
  rateLimiter: FakeRateLimiter;
  replays: FakeReplayGuard;
  longPolls: FakeLongPolls;
  /** Tenant settings by id (limits), as their documents would hold them. */
  tenants: Map<string, Tenant>;
  /** ID tokens the fake accepts, mapped to their uid. */
  idTokens: Map<string, string>;
  clock: FakeClock;
  sender: FakeSender;
  reported: unknown[];
  sendersAskedFor: Tenant[];
  /** `tenant/extension` pairs used once (their phones since gone). */
  usedExtensions: Set<string>;
};

/**
 * An ApiContext over the fakes; `keys` maps API keys to tenant ids. Each key's PBX signing
 * secret (signingSecretFor) is known too, as the directory stores it.
 */
export function fakeApiContext(keys: Record<string, string> = {}): FakeApiContext {
  const idTokens = new Map<string, string>();
  const clock = new FakeClock();
  const sender = new FakeSender(clock);
  const reported: unknown[] = [];
  const sendersAskedFor: Tenant[] = [];
  const devices: FakeDeviceStore = new FakeDeviceStore((tenant, ext, uid) =>
    members.has(tenant, ext, uid),
  );
  const members = new FakeMemberStore(devices);
  const calls = new FakeCallStore(clock);
  const tenants = new Map<string, Tenant>();
  const settings = (id: string): Tenant => tenants.get(id) ?? { id };
  const signing = new Map(
    Object.entries(keys).map(([key, tenant]) => {
      const secret = signingSecretFor(key);
      return [signingKeyId(secret), { tenant, secret }] as const;
    }),
  );
  const usedExtensions = new Set<string>();
  return {
    resolveApiKey: (key) => {
      const id = Object.hasOwn(keys, key) ? keys[key] : undefined;
      return Promise.resolve(id === undefined ? null : settings(id));
    },
    resolveSigningKey: (id) => {
      const found = signing.get(id);
      return Promise.resolve(
        found ? { tenant: settings(found.tenant), secret: found.secret } : null,
      );
    },
    replays: new FakeReplayGuard(),
    callCounts: new FakeCallCounts(calls),
    longPolls: new FakeLongPolls(),
    tenants,
    verifyIdToken: (token) => {
      const uid = idTokens.get(token);
      return Promise.resolve(uid === undefined ? null : { uid });
    },
    tenant: (id) => Promise.resolve(settings(id)),
    idTokens,
    devices,
    calls,
    members,
    // Used: an extension that has a device or a member now, or was named in `usedExtensions`.
    extensions: {
      everUsed: async (tenant, extension) =>
        usedExtensions.has(`${tenant}/${extension}`) ||
        (await devices.listByExtension(tenant, extension)).length > 0 ||
        members.hasAny(tenant, extension),
    },
    usedExtensions,
    pairing: new FakePairingStore(),
    rateLimiter: new FakeRateLimiter(),
    callRate: new CallRateLimiter(() => 30),
    sendersFor: (tenant) => {
      sendersAskedFor.push(tenant);
      return Promise.resolve({ fcm: sender, apns: sender, webpush: sender, hms: sender });
    },
    endpoints: TEST_ENDPOINTS,
    sendBudgetMs: 8_000,
    pushDeployment: TEST_PUSH_DEPLOYMENT,
    // The unit tests' endpoints are on a documentation host no DNS answers for: vetted by URL.
    vetWebPushEndpoint: (endpoint, field) =>
      vetWebPushEndpoint(endpoint, field, [], () =>
        Promise.resolve([{ address: '93.184.215.14', family: 4 }]),
      ),
    vapidPublicKey: () => TEST_VAPID_PUBLIC_KEY,
    clock,
    random: Math.random,
    operations: new FakeOperations(),
    sender,
    reported,
    sendersAskedFor,
    reportError: (err) => {
      reported.push(err);
    },
  };
}

/**
 * Signs `uid` in: a JWT-shaped ID token (API keys never look like one) that
 * the context's `verifyIdToken` accepts. Returns the token.
 */
export function signIn(ctx: FakeApiContext, uid: string): string {
  const segment = (text: string) => Buffer.from(text).toString('base64url');
  const token = `${segment('{"alg":"none"}')}.${segment(JSON.stringify({ uid }))}.sig`;
  ctx.idTokens.set(token, uid);
  return token;
}

export interface ApiRequestInit {
  headers?: Record<string, string>;
  query?: string;
  body?: string | Buffer;
}

/** An ApiRequest as the Firebase adapter would build it (lower-case header names). */
export function apiRequest(method: string, path: string, init: ApiRequestInit = {}): ApiRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(init.headers ?? {}))
    headers[name.toLowerCase()] = value;
  const body = init.body ?? '';
  return {
    method,
    path,
    target: init.query ? `${path}?${init.query}` : path,
    headers,
    query: new URLSearchParams(init.query ?? ''),
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
  };
}
