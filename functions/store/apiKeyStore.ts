import { randomBytes } from 'node:crypto';
import type { Firestore, Transaction } from 'firebase-admin/firestore';
import { paths } from './firestore';
import { hashApiKey } from './tenantDirectory';

/** apiKeys/{sha256(key)}: a key is never stored, only its hash. */
export interface ApiKeyDoc {
  tenant: string;
  createdAt: number;
  revoked?: boolean;
}

export interface KeyRecord extends ApiKeyDoc {
  hash: string;
}

/** Enough of the hash to name a key in lists and revocations; says nothing about the key. */
export const keyIdOf = (hash: string) => hash.slice(0, 12);

/** 256 random bits, URL-safe: fits a header, a dialplan variable and a shell argument. */
const newApiKey = () => `cwk_${randomBytes(32).toString('base64url')}`;

/** Creates a key for `tenant` inside `tx`; the clear key is returned once, never stored. */
export function addKey(db: Firestore, tx: Transaction, tenant: string) {
  const key = newApiKey();
  const hash = hashApiKey(key);
  const doc: ApiKeyDoc = { tenant, createdAt: Date.now() };
  tx.create(db.collection(paths.apiKeys).doc(hash), doc);
  return { key, keyId: keyIdOf(hash) };
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
