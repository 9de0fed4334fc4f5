import { randomBytes } from 'node:crypto';
import type { Firestore, Transaction } from 'firebase-admin/firestore';
import { signingKeyId, signingSecretFor } from '../core/access/pbxSignature';
import { paths } from './firestore';
import { hashApiKey } from '../core/access/apiKeyHash';

/** apiKeys/{sha256(key)}: a key is never stored, only its hash. */
export interface ApiKeyDoc {
  tenant: string;
  createdAt: number;
  revoked?: boolean;
  /** The PBX signing secret derived from the key (signingKeys/{id}). */
  signingKeyId?: string;
}

export interface KeyRecord extends ApiKeyDoc {
  hash: string;
}

/** Enough of the hash to name a key in lists and revocations; says nothing about the key. */
export const keyIdOf = (hash: string) => hash.slice(0, 12);

/** 256 random bits, URL-safe: fits a header, a dialplan variable and a shell argument. */
const newApiKey = () => `cwk_${randomBytes(32).toString('base64url')}`;

/** A PBX signing secret and its id, derived from `key`, and the document that stores them. */
export function signingFor(tenant: string, key: string, hash: string) {
  const secret = signingSecretFor(key);
  const id = signingKeyId(secret);
  return { secret, id, doc: { tenant, apiKey: hash, secret, createdAt: Date.now() } };
}

/**
 * Creates a key for `tenant` inside `tx`, with the PBX signing secret derived from it; the clear
 * key and secret are returned once, the key never stored.
 */
export function addKey(db: Firestore, tx: Transaction, tenant: string) {
  const key = newApiKey();
  const hash = hashApiKey(key);
  const signing = signingFor(tenant, key, hash);
  const doc: ApiKeyDoc = { tenant, createdAt: Date.now(), signingKeyId: signing.id };
  tx.create(db.collection(paths.apiKeys).doc(hash), doc);
  tx.set(db.collection(paths.signingKeys).doc(signing.id), signing.doc);
  return { key, keyId: keyIdOf(hash), signingSecret: signing.secret, signingKeyId: signing.id };
}

/**
 * Stores the PBX signing secret derived from an existing key and links the key to it, in one
 * batch; returns the secret and its id.
 */
export async function storeSigningSecret(db: Firestore, tenant: string, key: string, hash: string) {
  const signing = signingFor(tenant, key, hash);
  const batch = db.batch();
  batch.set(db.collection(paths.signingKeys).doc(signing.id), signing.doc);
  batch.update(db.collection(paths.apiKeys).doc(hash), { signingKeyId: signing.id });
  await batch.commit();
  return { id: signing.id, secret: signing.secret };
}

/** The tenant's keys, oldest first. */
export async function keysOf(
  db: Firestore,
  tenant: string,
  tx?: Transaction,
): Promise<KeyRecord[]> {
  const query = db.collection(paths.apiKeys).where('tenant', '==', tenant);
  const snap = tx ? await tx.get(query) : await query.get();
  return snap.docs
    .map((doc) => ({ ...(doc.data() as ApiKeyDoc), hash: doc.id }))
    .sort((a, b) => a.createdAt - b.createdAt || a.hash.localeCompare(b.hash));
}

/**
 * A new key for `tenant`; with `rotate`, its other active keys are revoked in the same
 * transaction. The clear key is in the answer only.
 */
export async function createKey(db: Firestore, tenant: string, rotate: boolean) {
  return db.runTransaction(async (tx) => {
    const active = rotate ? (await keysOf(db, tenant, tx)).filter((k) => !k.revoked) : [];
    for (const old of active)
      tx.update(db.collection(paths.apiKeys).doc(old.hash), { revoked: true });
    return { ...addKey(db, tx, tenant), revoked: active };
  });
}

/** Revokes a key of the tenant; false when it was revoked already. */
export async function revokeKey(db: Firestore, key: KeyRecord): Promise<boolean> {
  if (key.revoked) return false;
  await db.collection(paths.apiKeys).doc(key.hash).update({ revoked: true });
  return true;
}
