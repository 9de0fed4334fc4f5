import type {
  CallCounts,
  CallStore,
  DeviceStore,
  ExtensionDirectory,
  LongPolls,
  MemberStore,
  Operations,
  PairingStore,
  RateLimiter,
  ReplayGuard,
  SigningKey,
  Tenant,
} from '../core/ports';
import type { CallRateLimiter } from '../core/ring/extensionCallRate';
import type { Clock } from '../core/clock';
import type { PushSender, Provider } from '../core/send/push';
import type { PushDeployment } from '../core/devices/pushAddress';
import type { PushEndpoints } from '../core/render/incomingPush';

/** An HTTP request reduced to what the API reads; built by the Firebase adapter. */
export interface ApiRequest {
  method: string;
  path: string;
  /** The path and query string exactly as sent (still percent-encoded): what a PBX signs. */
  target: string;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  query: URLSearchParams;
  body: Buffer;
}

export type ResponseValue =
  string | number | boolean | null | undefined | ResponseBody | ResponseValue[];
export interface ResponseBody {
  [key: string]: ResponseValue;
}

export interface ApiResponse {
  status: number;
  body: ResponseBody;
  headers?: Record<string, string>;
  /** Sent as is instead of the negotiated body (the Prometheus exposition). */
  raw?: { contentType: string; text: string };
}

/** Everything a route needs, wired once per instance by the adapter. */
export interface ApiContext {
  /** Resolves the PBX's API key to its tenant, or null. */
  resolveApiKey(key: string): Promise<Tenant | null>;
  /** Resolves a PBX signing key id to its tenant and secret, or null. */
  resolveSigningKey(id: string): Promise<SigningKey | null>;
  /** Signed requests are good once. */
  replays: ReplayGuard;
  /** The tenant-wide call limits' counts. */
  callCounts: CallCounts;
  /** Long-polls held per tenant. */
  longPolls: LongPolls;
  /** Verifies a Firebase Auth ID token; null when invalid or expired. */
  verifyIdToken(token: string): Promise<{ uid: string } | null>;
  /** A tenant's settings by id. */
  tenant(id: string): Promise<Tenant>;
  devices: DeviceStore;
  calls: CallStore;
  members: MemberStore;
  extensions: ExtensionDirectory;
  pairing: PairingStore;
  rateLimiter: RateLimiter;
  /** Throttles abusive call rates per extension. */
  callRate: CallRateLimiter;
  sendersFor(tenant: Tenant): Promise<Record<Provider, PushSender>>;
  endpoints: PushEndpoints;
  sendBudgetMs: number;
  /** The APNs team and Firebase project RFC 8599 push addresses must name. */
  pushDeployment: PushDeployment;
  /**
   * Refuses (400 naming `field`, or 503 when DNS does not answer) a Web Push endpoint that
   * points anywhere but a public push service (push/endpointGuard.ts).
   */
  vetWebPushEndpoint(endpoint: string, field: string): Promise<void>;
  /** The VAPID public key browsers subscribe with, or null when Web Push is not set up. */
  vapidPublicKey(): string | null;
  clock: Clock;
  /** In [0, 1): retry jitter and lease holder ids (Math.random; seeded in the simulation). */
  random: () => number;
  /** Operators, metrics and keys: what the console and the metrics route use. */
  operations: Operations;
  /** Logs an error the client only sees as 500 or 503. */
  reportError(err: unknown): void;
}

export type RouteHandler = (
  req: ApiRequest,
  params: Record<string, string>,
  ctx: ApiContext,
) => Promise<ApiResponse>;
