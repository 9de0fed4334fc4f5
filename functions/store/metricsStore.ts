import type { Firestore, Transaction, WriteBatch } from 'firebase-admin/firestore';
import type { TenantFigures } from '../core/metrics/exposition';
import { sumCounters, type Counters } from '../core/metrics/counters';
import { firestoreModule, paths } from './firestore';

/**
 * A tenant's metric counters, in METRIC_SHARDS documents under tenants/{tenant}/metricShards.
 * Each call write that changes a metric adds its increments to one shard picked at random, in
 * the same transaction as the call: no document takes every call's writes (Firestore advises
 * against sustained writes to one document above about one a second), and a scrape reads every
 * shard of the tenant, METRIC_SHARDS documents at most.
 */
export const METRIC_SHARDS = 16;

const shardPath = (tenant: string, shard: number) => `${paths.metricShards(tenant)}/${shard}`;

/** The shard a write adds to: random, so concurrent calls of one tenant spread out. */
export function pickShard(random = Math.random): number {
  return Math.min(METRIC_SHARDS - 1, Math.floor(random() * METRIC_SHARDS));
}

/**
 * Adds `counters` to a shard inside `tx` (or a batch): a blind write of increments, so it
 * takes no read and no lock on the shard before the commit.
 */
export async function addCounters(
  db: Firestore,
  writer: Transaction | WriteBatch,
  tenant: string,
  counters: Counters,
  shard = pickShard(),
): Promise<void> {
  const { FieldValue } = await firestoreModule();
  const increments = Object.fromEntries(
    Object.entries(counters).map(([key, by]) => [key, FieldValue.increment(by)]),
  );
  // A nested map, not field paths: keys like `calls|accepted` need no escaping there.
  (writer as Transaction).set(db.doc(shardPath(tenant, shard)), { c: increments }, { merge: true });
}

/** The tenant's counters: the sum of its shards (one read per shard that exists). */
export async function readCounters(db: Firestore, tenant: string): Promise<Counters> {
  const snap = await db.collection(paths.metricShards(tenant)).get();
  return sumCounters(snap.docs.map((doc) => (doc.get('c') as Counters | undefined) ?? {}));
}

/**
 * The tenant's devices by platform: three count() aggregations, each billed one read per 1,000
 * devices counted (at least one).
 */
export async function deviceCounts(
  db: Firestore,
  tenant: string,
): Promise<TenantFigures['devices']> {
  const devices = db.collection(paths.devices(tenant));
  const count = async (platform: string) =>
    (await devices.where('platform', '==', platform).count().get()).data().count;
  const [android, ios, web] = await Promise.all([count('android'), count('ios'), count('web')]);
  return { android, ios, web };
}

/** Everything one tenant's scrape shows. */
export async function tenantFigures(db: Firestore, tenant: string): Promise<TenantFigures> {
  const [counters, devices] = await Promise.all([
    readCounters(db, tenant),
    deviceCounts(db, tenant),
  ]);
  return { tenant, counters, devices };
}
