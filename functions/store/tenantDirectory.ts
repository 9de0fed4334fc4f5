import { createHash, timingSafeEqual } from 'node:crypto';
import type { Firestore } from 'firebase-admin/firestore';
import { ExpiringLru } from './expiringLru';
import { paths } from './firestore';

export type PushMode = 'live' | 'outbox';

export interface Tenant {
  id: string;
  /** Overrides the deployment's PUSH_MODE for this tenant (e.g. a sandbox tenant). */
  pushMode?: PushMode;
}

interface ApiKeyDoc {
  tenant: string;
  revoked?: boolean;
}

interface TenantDoc {
  pushMode?: PushMode;
}

export const DEFAULT_TENANT = 'default';
/**
 * How long an instance trusts a key it looked up: also the longest a revoked
 * key keeps working (on instances that used it in the last 30 s). The CLI and
 * the docs say so.
 */
export const API_KEY_CACHE_MS = 30_000;
// Unknown keys are remembered briefly only, so a key created just now works soon.
const WRONG_KEY_CACHE_MS = 5_000;
// Valid and wrong keys are kept apart, each bounded: a spray of wrong keys evicts only wrong
// keys, never a PBX's valid one, and memory stays bounded.
const VALID_KEYS_MAX = 1_000;
const WRONG_KEYS_MAX = 1_000;
const TENANTS_MAX = 1_000;

export const hashApiKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

/** Constant-time comparison of two secrets of any length. */
export function secretsEqual(a: string, b: string): boolean {
  // Comparing digests keeps the time independent of where, or whether, lengths differ.
  return timingSafeEqual(Buffer.from(hashApiKey(a), 'hex'), Buffer.from(hashApiKey(b), 'hex'));
}

/**
 * Resolves API keys to tenants. The deployment's PBX_API_KEY secret belongs to
 * the default tenant; other tenants' keys are stored only as SHA-256 hashes in
 * apiKeys/{hash}. Lookups are cached per instance (the ring path should not
 * pay a read per call): valid keys in an LRU for API_KEY_CACHE_MS, wrong keys
 * in a separate, smaller-lived one.
 */
export class TenantDirectory {
  private readonly validKeys = new ExpiringLru<Tenant>(VALID_KEYS_MAX);
  private readonly wrongKeys = new ExpiringLru<true>(WRONG_KEYS_MAX);
  private readonly tenants = new ExpiringLru<Tenant>(TENANTS_MAX);

  constructor(
    private readonly db: Firestore,
    private readonly defaultKey: () => string,
  ) {}

  async resolveApiKey(key: string, now = Date.now()): Promise<Tenant | null> {
    const defaultKey = this.defaultKey();
    const isDefault = defaultKey !== '' && secretsEqual(key, defaultKey);
    const hash = isDefault ? `default:${hashApiKey(key)}` : hashApiKey(key);
    const valid = this.validKeys.get(hash, now);
    if (valid) return valid;
    if (this.wrongKeys.get(hash, now)) return null;
    let tenantId: string | null = isDefault ? DEFAULT_TENANT : null;
    if (!isDefault) {
      const doc = (await this.db.collection(paths.apiKeys).doc(hash).get()).data() as
        ApiKeyDoc | undefined;
      tenantId = doc && !doc.revoked ? doc.tenant : null;
    }
    if (!tenantId) {
      this.wrongKeys.set(hash, true, now + WRONG_KEY_CACHE_MS);
      return null;
    }
    const tenant = await this.loadTenant(tenantId);
    this.validKeys.set(hash, tenant, now + API_KEY_CACHE_MS);
    return tenant;
  }

  /** A tenant's settings by id (cached like keys): what triggers and jobs push with. */
  async tenant(id: string, now = Date.now()): Promise<Tenant> {
    const hit = this.tenants.get(id, now);
    if (hit) return hit;
    const tenant = await this.loadTenant(id);
    this.tenants.set(id, tenant, now + API_KEY_CACHE_MS);
    return tenant;
  }

  private async loadTenant(id: string): Promise<Tenant> {
    const doc = (await this.db.doc(paths.tenant(id)).get()).data() as TenantDoc | undefined;
    return { id, ...(doc?.pushMode ? { pushMode: doc.pushMode } : {}) };
  }
}
