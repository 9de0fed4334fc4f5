import {
  APNS_TEAM_ID,
  CALLS_PER_EXTENSION_PER_MINUTE,
  FCM_SENDER_ID,
  VAPID_KEY,
  providerEndpoints,
  pushProvidersAtDeploy,
} from '../config';
import { CallRateLimiter } from '../core/ring/extensionCallRate';
import { firestore } from '../store/firestore';
import { withDeadline } from '../store/deadline';
import { callsWithDeadline, devicesWithDeadline } from '../store/storeDeadlines';
import { apiStoreBudget } from './budgets';
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
import { getServices } from './services';
import type { ApiContext } from '../http/types';

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
