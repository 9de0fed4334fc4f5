import type { Request } from 'firebase-functions/v2/https';
import {
  APNS_TEAM_ID,
  CALLS_PER_EXTENSION_PER_MINUTE,
  FCM_SENDER_ID,
  VAPID_KEY,
  providerEndpoints,
  pushProvidersAtDeploy,
} from '../config';
import { CallRateLimiter } from '../core/ring/extensionCallRate';
import { AppError } from '../core/errors';
import { firestore } from '../store/firestore';
import { withDeadline } from '../store/deadline';
import { apiStoreBudget, callsWithDeadline, devicesWithDeadline } from '../store/storeDeadlines';
import { FirestoreExtensionDirectory } from '../store/extensionDirectory';
import { FirestorePairingStore } from '../store/pairingStore';
import { FirestoreCallCounts } from '../store/callCounts';
import { ExpiringLru } from '../store/expiringLru';
import { FirestoreLongPolls } from '../store/longPolls';
import { FirestoreOperations } from '../store/operationsStore';
import { FirestoreRateLimiter } from '../store/rateLimiter';
import { FirestoreReplayGuard } from '../store/replayGuard';
import { hashApiKey } from '../core/access/apiKeyHash';
import { vetWebPushEndpoint } from '../push/endpointGuard';
import { parseVapidKey } from '../push/vapidKey';
import { getServices } from '../wiring';
import { MAX_BODY_BYTES } from './body';
import type { ApiContext, ApiRequest } from './types';

let context: Promise<ApiContext> | undefined;

/**
 * Longest one database operation of a request may take before the API
 * answers 503 (apiStoreBudget: 1.2 s warm, 10 s cold, 5 s for transactions).
 */
const storeBudget = apiStoreBudget();

/**
 * How long an instance trusts an ID token it verified with a revocation check: also the longest a
 * user whose tokens were revoked (or who was disabled) keeps access there, as for API keys.
 */
const ID_TOKEN_CACHE_MS = 30_000;
const verifiedTokens = new ExpiringLru<{ uid: string }>(5_000);

async function verifyIdToken(token: string): Promise<{ uid: string } | null> {
  const now = Date.now();
  const hash = hashApiKey(token);
  const hit = verifiedTokens.get(hash, now);
  if (hit) return hit;
  const { getAuth } = await import('firebase-admin/auth');
  try {
    // checkRevoked: also refuses the tokens of a user revoked or disabled since they were made.
    const decoded = await getAuth().verifyIdToken(token, true);
    const user = { uid: decoded.uid };
    verifiedTokens.set(hash, user, Math.min(now + ID_TOKEN_CACHE_MS, decoded.exp * 1000));
    return user;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    // Bad, expired or revoked tokens are the client's problem; anything else is ours.
    if (typeof code === 'string' && code.startsWith('auth/')) return null;
    throw err;
  }
}

/** The VAPID public key, or null when the VAPID_KEY secret is unset or unreadable. */
function vapidPublicKey(): string | null {
  try {
    return parseVapidKey(VAPID_KEY.value()).publicKey;
  } catch {
    return null;
  }
}

async function makeContext(): Promise<ApiContext> {
  const services = await getServices();
  const db = await firestore();
  const { logger } = await import('firebase-functions/v2');
  const ms = storeBudget;
  const tenants = withDeadline(services.tenants, ms);
  const providers = pushProvidersAtDeploy();
  const publicKey = providers.has('webpush') ? vapidPublicKey() : null;
  const { webPushTestOrigins } = providerEndpoints();
  return {
    ...services,
    devices: devicesWithDeadline(services.devices, ms),
    calls: callsWithDeadline(services.calls, ms),
    members: withDeadline(services.members, ms, { transactions: ['answerInvitation', 'remove'] }),
    extensions: withDeadline(new FirestoreExtensionDirectory(db), ms),
    resolveApiKey: (key) => tenants.resolveApiKey(key),
    resolveSigningKey: (id) => tenants.resolveSigningKey(id),
    replays: withDeadline(new FirestoreReplayGuard(db), ms),
    callCounts: withDeadline(new FirestoreCallCounts(db), ms),
    longPolls: withDeadline(new FirestoreLongPolls(db), ms),
    tenant: (id) => tenants.tenant(id),
    verifyIdToken,
    random: Math.random,
    callRate: new CallRateLimiter(() => CALLS_PER_EXTENSION_PER_MINUTE.value()),
    pushDeployment: {
      apnsTeamId: APNS_TEAM_ID.value(),
      fcmProjectId: services.endpoints.projectId,
      fcmSenderId: FCM_SENDER_ID.value(),
      providers,
    },
    vetWebPushEndpoint: (endpoint, field) =>
      vetWebPushEndpoint(endpoint, field, webPushTestOrigins),
    vapidPublicKey: () => publicKey,
    pairing: withDeadline(new FirestorePairingStore(db), ms),
    rateLimiter: withDeadline(new FirestoreRateLimiter(db), ms),
    operations: withDeadline(new FirestoreOperations(db), ms, { transactions: ['createKey'] }),
    reportError: (err) => {
      logger.error('request failed', { error: err instanceof Error ? err.stack : String(err) });
    },
  };
}

/** The API context, made once per instance on the first request. */
export function apiContext(): Promise<ApiContext> {
  context ??= makeContext().catch((err: unknown) => {
    context = undefined;
    throw err;
  });
  return context;
}

/**
 * The request body as bytes. The platform has already read form and JSON
 * bodies into rawBody; a body with no Content-Type is still on the stream.
 */
export async function readBody(req: Request): Promise<Buffer> {
  // Typed as always present, but unset when no body parser claimed the Content-Type.
  const raw = req.rawBody as Buffer | undefined;
  if (raw) return raw;
  if (req.readableEnded || req.method === 'GET' || req.method === 'HEAD') return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new AppError('payload_too_large', `Request body is over ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Express-style request to the API's own request shape. */
export function toApiRequest(req: Request, body: Buffer): ApiRequest {
  const url = new URL(req.originalUrl || req.url, 'http://localhost');
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  const path = req.path || '/';
  return {
    method: req.method.toUpperCase(),
    path,
    target: `${path}${url.search}`,
    headers,
    query: url.searchParams,
    body,
  };
}
