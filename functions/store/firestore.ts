import type { DocumentReference, Firestore } from 'firebase-admin/firestore';

/** The client type, for code that passes it to the stores without touching Firestore itself. */
export type { Firestore };

let db: Promise<Firestore> | undefined;

async function make(): Promise<Firestore> {
  const { getApps, initializeApp } = await import('firebase-admin/app');
  const { getFirestore } = await import('firebase-admin/firestore');
  // firebase-functions makes a named app of its own for triggers: look for the default one.
  if (!getApps().some((app) => app.name === '[DEFAULT]')) initializeApp();
  const client = getFirestore();
  client.settings({ ignoreUndefinedProperties: true });
  return client;
}

/** gRPC ALREADY_EXISTS: create() found the document there. */
const ALREADY_EXISTS = 6;

/**
 * Creates a document unless it exists; false when it did. create() fails
 * atomically, so among concurrent callers exactly one gets true.
 */
export async function createIfAbsent(
  ref: DocumentReference,
  data: Record<string, unknown>,
): Promise<boolean> {
  try {
    await ref.create(data);
    return true;
  } catch (err) {
    if ((err as { code?: unknown }).code === ALREADY_EXISTS) return false;
    throw err;
  }
}

/** firebase-admin's Firestore module (FieldValue, Timestamp), loaded on first use, not at import. */
export const firestoreModule = () => import('firebase-admin/firestore');

/** A Firestore Timestamp, told by shape so checking one needs no eager import. */
export function isTimestamp(value: unknown): value is { toMillis(): number } {
  return typeof (value as { toMillis?: unknown } | null)?.toMillis === 'function';
}

/**
 * The shared Firestore client, made on first use so cold starts stay cheap.
 * The promise is shared too: concurrent first callers must not configure it twice.
 */
export function firestore(): Promise<Firestore> {
  db ??= make();
  return db;
}

/** Paths of every collection, in one place. */
export const paths = {
  tenants: 'tenants',
  tenant: (tenant: string) => `tenants/${tenant}`,
  devices: (tenant: string) => `tenants/${tenant}/devices`,
  calls: (tenant: string) => `tenants/${tenant}/calls`,
  extension: (tenant: string, extension: string) => `tenants/${tenant}/extensions/${extension}`,
  metricShards: (tenant: string) => `tenants/${tenant}/metricShards`,
  members: (tenant: string, extension: string) =>
    `tenants/${tenant}/extensions/${extension}/members`,
  invitations: (tenant: string, extension: string) =>
    `tenants/${tenant}/extensions/${extension}/invitations`,
  longPolls: (tenant: string) => `tenants/${tenant}/longPolls`,
  signingKeys: 'signingKeys',
  signedRequests: 'signedRequests',
  pairingCodes: 'pairingCodes',
  rateLimits: 'rateLimits',
  apiKeys: 'apiKeys',
  pushOutbox: 'pushOutbox',
  operators: 'operators',
  metricsKeys: 'metricsKeys',
} as const;
