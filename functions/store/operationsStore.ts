import type { Firestore } from 'firebase-admin/firestore';
import type { Call, Device } from '../core/model';
import { createKey, keyIdOf, keysOf, revokeKey } from './apiKeyStore';
import { paths } from './firestore';
import type { KeyView, MemberView, Operations } from '../core/ports';
import { tenantFigures } from './metricsStore';
import { FirestoreOperatorStore } from './operatorStore';
import { ExpiringLru } from './expiringLru';
import { allTenantFigures, isScrapeKey } from './scrapeKeyStore';
import { hashApiKey } from '../core/access/apiKeyHash';

/** Scrape keys are trusted this long per instance, like API keys (TenantDirectory). */
const SCRAPE_KEY_CACHE_MS = 30_000;

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export class FirestoreOperations implements Operations {
  private readonly operators: FirestoreOperatorStore;

  constructor(private readonly db: Firestore) {
    this.operators = new FirestoreOperatorStore(db);
  }

  roleOf(uid: string, tenant: string) {
    return this.operators.roleOf(uid, tenant);
  }

  tenantsOf(uid: string) {
    return this.operators.tenantsOf(uid);
  }

  figures(tenant: string) {
    return tenantFigures(this.db, tenant);
  }

  private readonly scrapeKeys = new ExpiringLru<boolean>(100);

  async isScrapeKey(key: string): Promise<boolean> {
    const hash = hashApiKey(key);
    const now = Date.now();
    const known = this.scrapeKeys.get(hash, now);
    if (known !== undefined) return known;
    const valid = await isScrapeKey(this.db, key);
    // Wrong keys briefly (a key made just now works soon), valid ones like API keys.
    this.scrapeKeys.set(hash, valid, now + (valid ? SCRAPE_KEY_CACHE_MS : 5_000));
    return valid;
  }

  allFigures() {
    return allTenantFigures(this.db);
  }

  async listKeys(tenant: string): Promise<KeyView[]> {
    return (await keysOf(this.db, tenant)).map((k) => ({
      key_id: keyIdOf(k.hash),
      created_at: new Date(k.createdAt).toISOString(),
      status: k.revoked ? 'revoked' : 'active',
    }));
  }

  async createKey(tenant: string) {
    const { key, keyId } = await createKey(this.db, tenant, false);
    return { key, key_id: keyId };
  }

  async revokeKey(tenant: string, keyId: string): Promise<boolean | null> {
    const key = (await keysOf(this.db, tenant)).find((k) => keyIdOf(k.hash) === keyId);
    return key ? revokeKey(this.db, key) : null;
  }

  async recentCalls(tenant: string, limit: number): Promise<Call[]> {
    const snap = await this.db
      .collection(paths.calls(tenant))
      .orderBy('createdAt', 'desc')
      .limit(limit)
      .get();
    return snap.docs.map((d) => d.data() as Call);
  }

  async devices(tenant: string, limit: number): Promise<Device[]> {
    const snap = await this.db.collection(paths.devices(tenant)).limit(limit).get();
    return snap.docs.map((d) => d.data() as Device);
  }

  async members(tenant: string, limit: number): Promise<MemberView[]> {
    const snap = await this.db
      .collectionGroup('members')
      .where('tenant', '==', tenant)
      .limit(limit)
      .get();
    return snap.docs.map((d) => {
      const m = d.data() as { extension: string; uid: string; via?: string; createdAt?: number };
      const created = iso(m.createdAt);
      return {
        extension: m.extension,
        uid: m.uid,
        ...(m.via ? { via: m.via } : {}),
        ...(created ? { created_at: created } : {}),
      };
    });
  }
}
