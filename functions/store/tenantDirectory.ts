import { createHash, timingSafeEqual } from 'node:crypto';
import type { Firestore } from 'firebase-admin/firestore';
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
const CACHE_MS = 30_000;
// Unknown keys are remembered briefly only, so a key created just now works at once.
const NEGATIVE_CACHE_MS = 5_000;
// Sprayed random keys must not grow memory without bound.
const CACHE_MAX_ENTRIES = 1_000;

export const hashApiKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

/** Constant-time comparison of two secrets of any length. */
export function secretsEqual(a: string, b: string): boolean {
  // Comparing digests keeps the time independent of where, or whether, lengths differ.
  return timingSafeEqual(Buffer.from(hashApiKey(a), 'hex'), Buffer.from(hashApiKey(b), 'hex'));
}

/**
 * Resolves API keys to tenants. The deployment's PBX_API_KEY secret belongs to
 * the default tenant; other tenants' keys are stored only as SHA-256 hashes in
 * apiKeys/{hash}. Lookups are cached briefly: the ring path should not pay a
 * read per call.
 */
export class TenantDirectory {
  private readonly cache = new Map<string, { tenant: Tenant | null; until: number }>();

  constructor(
    private readonly db: Firestore,
    private readonly defaultKey: () => string,
  ) {}

  async resolveApiKey(key: string, now = Date.now()): Promise<Tenant | null> {
    const defaultKey = this.defaultKey();
    const isDefault = defaultKey !== '' && secretsEqual(key, defaultKey);
    const hash = isDefault ? `default:${hashApiKey(key)}` : hashApiKey(key);
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.tenant;
    let tenantId: string | null = isDefault ? DEFAULT_TENANT : null;
    if (!isDefault) {
      const doc = (await this.db.collection(paths.apiKeys).doc(hash).get()).data() as
        ApiKeyDoc | undefined;
      tenantId = doc && !doc.revoked ? doc.tenant : null;
    }
    const tenant = tenantId ? await this.loadTenant(tenantId) : null;
    if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.clear();
    this.cache.set(hash, { tenant, until: now + (tenant ? CACHE_MS : NEGATIVE_CACHE_MS) });
    return tenant;
  }

  /** A tenant's settings by id (cached like keys): what triggers and jobs push with. */
  async tenant(id: string, now = Date.now()): Promise<Tenant> {
    const key = `id:${id}`;
    const hit = this.cache.get(key);
    if (hit?.tenant && hit.until > now) return hit.tenant;
    const tenant = await this.loadTenant(id);
    this.cache.set(key, { tenant, until: now + CACHE_MS });
    return tenant;
  }

  private async loadTenant(id: string): Promise<Tenant> {
    const doc = (await this.db.doc(paths.tenant(id)).get()).data() as TenantDoc | undefined;
    return { id, ...(doc?.pushMode ? { pushMode: doc.pushMode } : {}) };
  }
}
