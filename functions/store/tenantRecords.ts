import type { Firestore } from 'firebase-admin/firestore';
import type { TenantLimits } from '../core/limits';
import type { PushMode } from '../core/ports';
import { addKey } from './apiKeyStore';
import { paths } from './firestore';
import { pageByDocId, type Page, type Paging } from './paging';

/** tenants/{id}; documents made before the CLI may lack the name and creation time. */
export interface TenantDoc {
  name?: string;
  createdAt?: number;
  pushMode?: PushMode;
  /** The tenant's own numbers for the limits that allow one (core/limits.ts). */
  limits?: TenantLimits;
}

export type TenantRecord = TenantDoc & { id: string };

/** The tenant's document, or null when it has none (the default tenant needs none). */
export async function tenantRecord(db: Firestore, id: string): Promise<TenantRecord | null> {
  const snap = await db.doc(paths.tenant(id)).get();
  return snap.exists ? { id, ...(snap.data() as TenantDoc) } : null;
}

/**
 * tenants/{id} and its first API key, in one transaction: no tenant without a key. Null when the
 * tenant exists already (then nothing is written).
 */
export async function createTenantWithKey(db: Firestore, id: string, doc: TenantDoc) {
  const ref = db.doc(paths.tenant(id));
  return db.runTransaction(async (tx) => {
    if ((await tx.get(ref)).exists) return null;
    tx.create(ref, doc);
    return addKey(db, tx, id);
  });
}

/** One page of tenants, by id. */
export function tenantsPage(db: Firestore, page: Paging): Promise<Page<TenantRecord>> {
  return pageByDocId(db.collection(paths.tenants), page, (doc) => ({
    id: doc.id,
    ...(doc.data() as TenantDoc),
  }));
}
