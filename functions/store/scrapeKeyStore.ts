import { randomBytes } from 'node:crypto';
import type { Firestore } from 'firebase-admin/firestore';
import type { TenantFigures } from '../core/metrics/exposition';
import { sumCounters, type Counters } from '../core/metrics/counters';
import { keyIdOf } from './apiKeyStore';
import { paths } from './firestore';
import { deviceCounts } from './metricsStore';
import { hashApiKey } from '../core/access/apiKeyHash';

/**
 * metricsKeys/{sha256(key)}: `{createdAt, revoked?}`. A deployment-wide scrape key, for the
 * platform's operator: `GET /v1/metrics` with it shows every tenant, each sample labelled with
 * its tenant. Kept apart from apiKeys/, so it can never act as a PBX of any tenant.
 */
interface ScrapeKeyDoc {
  createdAt: number;
  revoked?: boolean;
}

export interface ScrapeKeyRecord extends ScrapeKeyDoc {
  hash: string;
}

export async function createScrapeKey(db: Firestore): Promise<{ key: string; keyId: string }> {
  const key = `cwk_${randomBytes(32).toString('base64url')}`;
  const hash = hashApiKey(key);
  const doc: ScrapeKeyDoc = { createdAt: Date.now() };
  await db.collection(paths.metricsKeys).doc(hash).create(doc);
  return { key, keyId: keyIdOf(hash) };
}

export async function scrapeKeys(db: Firestore): Promise<ScrapeKeyRecord[]> {
  const snap = await db.collection(paths.metricsKeys).get();
  return snap.docs
    .map((d) => ({ ...(d.data() as ScrapeKeyDoc), hash: d.id }))
    .sort((a, b) => a.createdAt - b.createdAt);
}

export async function revokeScrapeKey(db: Firestore, hash: string): Promise<void> {
  await db.collection(paths.metricsKeys).doc(hash).update({ revoked: true });
}

/** Whether `key` is a scrape key that was not revoked. */
export async function isScrapeKey(db: Firestore, key: string): Promise<boolean> {
  const doc = (await db.collection(paths.metricsKeys).doc(hashApiKey(key)).get()).data() as
    ScrapeKeyDoc | undefined;
  return doc !== undefined && doc.revoked !== true;
}

/**
 * Every tenant that has counters, with its devices: all counter shards of the deployment
 * (16 reads per tenant at most) and two device counts per tenant.
 */
export async function allTenantFigures(db: Firestore): Promise<TenantFigures[]> {
  const shards = await db.collectionGroup('metricShards').get();
  const byTenant = new Map<string, Counters[]>();
  for (const doc of shards.docs) {
    const tenant = doc.ref.parent.parent?.id;
    if (!tenant) continue;
    byTenant.set(tenant, [
      ...(byTenant.get(tenant) ?? []),
      (doc.get('c') as Counters | undefined) ?? {},
    ]);
  }
  const tenants = [...byTenant.keys()].sort();
  return Promise.all(
    tenants.map(async (tenant) => ({
      tenant,
      counters: sumCounters(byTenant.get(tenant) ?? []),
      devices: await deviceCounts(db, tenant),
    })),
  );
}
