import { CallRateLimiter } from '../../functions/core/callRate';
import {
  applyAnswer,
  leaseCancel,
  type Answer,
  type CallPatch,
  type CancelState,
} from '../../functions/core/callState';
import type { Clock, DeliveryResult } from '../../functions/core/deliver';
import { AppError } from '../../functions/core/errors';
import type { Call, Device } from '../../functions/core/model';
import type {
  CallStore,
  DeviceStore,
  Membership,
  MemberStore,
  PairingCode,
  PairingStore,
  RateLimiter,
} from '../../functions/core/ports';
import type { PushMeta, PushSender, RenderedPush, SendResult } from '../../functions/core/push';
import type { PushDeployment } from '../../functions/core/pushAddress';
import type { PushEndpoints } from '../../functions/core/render';
import type { ApiContext, ApiRequest } from '../../functions/http/types';
import type { Tenant } from '../../functions/store/tenantDirectory';

/** Plain in-memory fakes of the core's ports, for unit tests. */

/** A clock whose `sleep` advances virtual time at once, so retry tests take no real time. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];

  constructor(public current = 1_700_000_000_000) {}

  now(): number {
    return this.current;
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.current += ms;
    return Promise.resolve();
  }
}

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

const TOKEN_FIELDS = ['fcmToken', 'voipToken'] as const;

/** Devices in memory, with the token-uniqueness rule of the real store. */
export class FakeDeviceStore implements DeviceStore {
  readonly dropped: { tenant: string; deviceId: string; token: string }[] = [];
  private readonly byTenant = new Map<string, Map<string, Device>>();

  private tenant(tenant: string): Map<string, Device> {
    let devices = this.byTenant.get(tenant);
    if (!devices) {
      devices = new Map();
      this.byTenant.set(tenant, devices);
    }
    return devices;
  }

  /** The stored device, synchronously, for assertions. */
  peek(tenant: string, deviceId: string): Device | undefined {
    return this.tenant(tenant).get(deviceId);
  }

  get(tenant: string, deviceId: string): Promise<Device | null> {
    const device = this.tenant(tenant).get(deviceId);
    return Promise.resolve(device ? { ...device } : null);
  }

  /** Stores a device as is, for arranging a test. */
  put(tenant: string, device: Device): void {
    this.tenant(tenant).set(device.deviceId, { ...device });
  }

  listByExtension(tenant: string, extension: string): Promise<Device[]> {
    const devices = [...this.tenant(tenant).values()].filter((d) => d.extension === extension);
    return Promise.resolve(devices.map((d) => ({ ...d })));
  }

  upsert(tenant: string, device: Device): Promise<{ created: boolean }> {
    const devices = this.tenant(tenant);
    // As the Firestore store: an app may not take over a device another user registered.
    const owner = devices.get(device.deviceId)?.ownerUid;
    if (device.ownerUid && owner && owner !== device.ownerUid) {
      return Promise.reject(
        new AppError('permission_denied', `Device ${device.deviceId} belongs to another user.`),
      );
    }
    const tokens = new Set(TOKEN_FIELDS.flatMap((f) => (device[f] ? [device[f]] : [])));
    for (const other of [...devices.values()]) {
      if (other.deviceId !== device.deviceId) this.strip(tenant, other, tokens);
    }
    const created = !devices.has(device.deviceId);
    devices.set(device.deviceId, { ...device });
    return Promise.resolve({ created });
  }

  remove(tenant: string, extension: string, deviceId: string): Promise<boolean> {
    const devices = this.tenant(tenant);
    if (devices.get(deviceId)?.extension !== extension) return Promise.resolve(false);
    devices.delete(deviceId);
    return Promise.resolve(true);
  }

  dropToken(tenant: string, deviceId: string, token: string): Promise<void> {
    this.dropped.push({ tenant, deviceId, token });
    const device = this.tenant(tenant).get(deviceId);
    if (device) this.strip(tenant, device, new Set([token]));
    return Promise.resolve();
  }

  getMany(tenant: string, deviceIds: string[]): Promise<Device[]> {
    const devices = this.tenant(tenant);
    return Promise.resolve(
      deviceIds.flatMap((id) => {
        const device = devices.get(id);
        return device ? [{ ...device }] : [];
      }),
    );
  }

  private strip(tenant: string, device: Device, tokens: Set<string>): void {
    const kept: Device = { ...device };
    if (kept.fcmToken && tokens.has(kept.fcmToken)) delete kept.fcmToken;
    if (kept.voipToken && tokens.has(kept.voipToken)) delete kept.voipToken;
    if (!kept.fcmToken && !kept.voipToken) this.tenant(tenant).delete(device.deviceId);
    else this.tenant(tenant).set(device.deviceId, kept);
  }
}

export interface RecordedDeliveries {
  tenant: string;
  callUuid: string;
  results: Record<string, DeliveryResult>;
  pushed: number;
}

/** Calls in memory; `createOnce` is first-writer-wins like the real transaction. */
export class FakeCallStore implements CallStore {
  readonly created: Call[] = [];
  readonly recorded: RecordedDeliveries[] = [];
  private readonly calls = new Map<string, Call>();

  createOnce(call: Call): Promise<{ call: Call; created: boolean }> {
    const key = `${call.tenant}/${call.callUuid}`;
    const existing = this.calls.get(key);
    if (existing) return Promise.resolve({ call: structuredClone(existing), created: false });
    this.calls.set(key, structuredClone(call));
    this.created.push(structuredClone(call));
    return Promise.resolve({ call: structuredClone(call), created: true });
  }

  get(tenant: string, callUuid: string): Promise<Call | null> {
    const call = this.calls.get(`${tenant}/${callUuid}`);
    return Promise.resolve(call ? structuredClone(call) : null);
  }

  recordDeliveries(
    tenant: string,
    callUuid: string,
    results: Record<string, DeliveryResult>,
    pushed: number,
  ): Promise<void> {
    this.recorded.push({ tenant, callUuid, results: structuredClone(results), pushed });
    const call = this.calls.get(`${tenant}/${callUuid}`);
    if (call) {
      call.pushed = pushed;
      for (const [deviceId, result] of Object.entries(results)) {
        const delivery = call.deliveries[deviceId];
        if (delivery) {
          call.deliveries[deviceId] = {
            ...delivery,
            status: result.status,
            attempts: result.attempts,
            ...(result.providerStatus === undefined
              ? {}
              : { providerStatus: result.providerStatus }),
            ...(result.reason === undefined ? {} : { reason: result.reason }),
          };
        }
      }
    }
    return Promise.resolve();
  }

  /** Answer and receipt documents, by `${callUuid}/answers|receipts/${deviceId}`. */
  readonly subdocs = new Map<string, Record<string, unknown>>();

  createAnswer(_tenant: string, callUuid: string, answer: Answer): Promise<boolean> {
    return Promise.resolve(
      this.createSubdoc(`${callUuid}/answers/${answer.deviceId}`, { ...answer }),
    );
  }

  createReceipt(
    _tenant: string,
    callUuid: string,
    deviceId: string,
    uid: string,
  ): Promise<boolean> {
    return Promise.resolve(
      this.createSubdoc(`${callUuid}/receipts/${deviceId}`, {
        deviceId,
        uid,
        receivedAt: Date.now(),
      }),
    );
  }

  private createSubdoc(key: string, data: Record<string, unknown>): boolean {
    if (this.subdocs.has(key)) return false;
    this.subdocs.set(key, data);
    return true;
  }

  /** Answers settled so far, by `${callUuid}/${deviceId}`. */
  readonly outcomes = new Map<string, 'won' | 'late'>();

  transition(
    tenant: string,
    callUuid: string,
    change: (call: Call) => CallPatch | null,
  ): Promise<{ call: Call; patch: CallPatch | null } | null> {
    const stored = this.calls.get(`${tenant}/${callUuid}`);
    if (!stored) return Promise.resolve(null);
    const call = structuredClone(stored);
    const patch = change(call);
    if (patch) mergeDeep(stored as unknown as Record<string, unknown>, patch);
    return Promise.resolve({ call, patch });
  }

  async settleAnswer(
    tenant: string,
    callUuid: string,
    answer: Answer,
  ): Promise<'won' | 'late' | 'no_call'> {
    const key = `${callUuid}/${answer.deviceId}`;
    const settled = this.outcomes.get(key);
    if (settled) return settled;
    let outcome: 'won' | 'late' = 'late';
    const result = await this.transition(tenant, callUuid, (call) => {
      const applied = applyAnswer(call, answer, Date.now());
      outcome = applied.outcome;
      return applied.patch;
    });
    if (!result) return 'no_call';
    this.outcomes.set(key, outcome);
    return outcome;
  }

  async leaseCancel(
    tenant: string,
    callUuid: string,
    leaseMs: number,
  ): Promise<{ call: Call; cancel: CancelState } | null> {
    const taken: { cancel: CancelState | null } = { cancel: null };
    const result = await this.transition(tenant, callUuid, (call) => {
      taken.cancel = leaseCancel(call.cancel, Date.now(), leaseMs);
      return taken.cancel ? { cancel: taken.cancel } : null;
    });
    return result && taken.cancel ? { call: result.call, cancel: taken.cancel } : null;
  }

  async finishCancel(
    tenant: string,
    callUuid: string,
    results: Record<string, DeliveryResult>,
  ): Promise<void> {
    await this.transition(tenant, callUuid, () => ({
      cancel: { state: 'sent', sentAt: Date.now() },
      cancels: results,
    }));
  }

  async waitFor(
    tenant: string,
    callUuid: string,
    done: (call: Call) => boolean,
    timeoutMs: number,
  ): Promise<Call | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const call = await this.get(tenant, callUuid);
      if (!call || done(call) || Date.now() >= deadline) return call;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/** Firestore's set-with-merge: nested maps merge, everything else (arrays too) is replaced. */
export function mergeDeep(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    const isMap = (v: unknown): v is Record<string, unknown> =>
      typeof v === 'object' && v !== null && !Array.isArray(v);
    if (isMap(value) && isMap(current)) mergeDeep(current, value);
    else target[key] = structuredClone(value);
  }
}

/** Members in memory. */
export class FakeMemberStore implements MemberStore {
  private readonly members = new Set<string>();
  private readonly key = (tenant: string, extension: string, uid: string) =>
    JSON.stringify([tenant, extension, uid]);

  isMember(tenant: string, extension: string, uid: string): Promise<boolean> {
    return Promise.resolve(this.members.has(this.key(tenant, extension, uid)));
  }

  add(tenant: string, extension: string, uid: string): Promise<boolean> {
    const key = this.key(tenant, extension, uid);
    const added = !this.members.has(key);
    this.members.add(key);
    return Promise.resolve(added);
  }

  remove(tenant: string, extension: string, uid: string): Promise<boolean> {
    return Promise.resolve(this.members.delete(this.key(tenant, extension, uid)));
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
    this.codes.set(codeHash, { ...code });
    return Promise.resolve();
  }

  redeem(
    codeHash: string,
    uid: string,
    now: number,
  ): Promise<PairingCode | 'unknown' | 'expired' | 'used'> {
    const code = this.codes.get(codeHash);
    if (!code) return Promise.resolve('unknown');
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

/** Fixed-window counters in memory. */
export class FakeRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { count: number; start: number; windowMs: number }>();

  allow(key: string, limit: number, windowMs: number, now: number): Promise<boolean> {
    const current = this.windows.get(key);
    const fresh = !current || now - current.start >= current.windowMs;
    const next = fresh
      ? { count: 1, start: now, windowMs }
      : { ...current, count: current.count + 1 };
    this.windows.set(key, next);
    return Promise.resolve(next.count <= limit);
  }

  exceeded(key: string, limit: number, now: number): Promise<boolean> {
    const current = this.windows.get(key);
    return Promise.resolve(
      !!current && now - current.start < current.windowMs && current.count >= limit,
    );
  }
}

export const TEST_ENDPOINTS: PushEndpoints = {
  projectId: 'demo-callwake',
  fcmOrigin: 'https://fcm.test',
  apnsOrigins: { production: 'https://apns.test', sandbox: 'https://apns-sandbox.test' },
};

/** The deployment the unit tests' RFC 8599 addresses name: Apple team and Firebase project. */
export const TEST_PUSH_DEPLOYMENT: PushDeployment = {
  apnsTeamId: 'ABCDE12345',
  fcmProjectId: TEST_ENDPOINTS.projectId,
  fcmSenderId: '123456789012',
};

export type FakeApiContext = ApiContext & {
  devices: FakeDeviceStore;
  calls: FakeCallStore;
  members: FakeMemberStore;
  pairing: FakePairingStore;
  /** ID tokens the fake accepts, mapped to their uid. */
  idTokens: Map<string, string>;
  clock: FakeClock;
  sender: FakeSender;
  reported: unknown[];
  sendersAskedFor: Tenant[];
};

/** An ApiContext over the fakes; `keys` maps API keys to tenant ids. */
export function fakeApiContext(keys: Record<string, string> = {}): FakeApiContext {
  const idTokens = new Map<string, string>();
  const clock = new FakeClock();
  const sender = new FakeSender(clock);
  const reported: unknown[] = [];
  const sendersAskedFor: Tenant[] = [];
  return {
    resolveApiKey: (key) => {
      const id = Object.hasOwn(keys, key) ? keys[key] : undefined;
      return Promise.resolve(id === undefined ? null : { id });
    },
    verifyIdToken: (token) => {
      const uid = idTokens.get(token);
      return Promise.resolve(uid === undefined ? null : { uid });
    },
    tenant: (id) => Promise.resolve({ id }),
    idTokens,
    devices: new FakeDeviceStore(),
    calls: new FakeCallStore(),
    members: new FakeMemberStore(),
    pairing: new FakePairingStore(),
    rateLimiter: new FakeRateLimiter(),
    callRate: new CallRateLimiter(() => 30),
    sendersFor: (tenant) => {
      sendersAskedFor.push(tenant);
      return Promise.resolve({ fcm: sender, apns: sender });
    },
    endpoints: TEST_ENDPOINTS,
    sendBudgetMs: 8_000,
    pushDeployment: TEST_PUSH_DEPLOYMENT,
    clock,
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
    headers,
    query: new URLSearchParams(init.query ?? ''),
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
  };
}
