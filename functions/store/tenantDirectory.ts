import type { Firestore } from 'firebase-admin/firestore';
import { limitError } from '../core/errors';
import { LIMITS } from '../core/limits';
import { signingKeyId, signingSecretFor } from '../core/access/pbxSignature';
import { ExpiringLru } from './expiringLru';
import { paths } from './firestore';
import type { TenantDoc } from './tenantRecords';
import { hashApiKey, secretsEqual } from '../core/access/apiKeyHash';
import type { SigningKey, Tenant } from '../core/ports';

interface ApiKeyDoc {
  tenant: string;
  revoked?: boolean;
  /** The id of the PBX signing secret derived from this key (signingKeys/{id}). */
  signingKeyId?: string;
}

/** signingKeys/{id}: a PBX signing secret, valid while the API key it derives from is. */
interface SigningKeyDoc {
  tenant: string;
  /** apiKeys/{hash} of the key it derives from. */
  apiKey: string;
  secret: string;
  createdAt: number;
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
// Keys this instance has seen valid within a day skip the look-up budget: a spray of random keys
// cannot make a PBX whose key this instance knows wait.
const KNOWN_KEYS_MS = 86_400_000;

/**
 * A token bucket per instance for database look-ups of keys the instance has never seen valid:
 * `rate` a second, bursts of twice that. Past it, such a key is answered 429 without a read.
 */
class LookupBudget {
  private tokens: number;
  private at = 0;

  constructor(
    private readonly rate: number,
    private readonly burst = rate * 2,
  ) {
    this.tokens = burst;
  }

  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

const overBudget = () =>
  limitError(
    'unknown_key_lookups',
    429,
    'Too many requests with keys this server does not know; try again in a second.',
  );

/**
 * Resolves API keys and PBX signing keys to tenants. The deployment's PBX_API_KEY secret belongs
 * to the default tenant; other tenants' keys are stored only as SHA-256 hashes in
 * apiKeys/{hash}, and the signing secrets derived from them in signingKeys/{id}. Lookups are
 * cached per instance (the ring path should not pay a read per call): valid keys in an LRU for
 * API_KEY_CACHE_MS, wrong ones in a separate, shorter-lived one; and look-ups of keys never seen
 * valid are budgeted (unknown_key_lookups), so a spray of random keys costs a few reads only.
 */
export class TenantDirectory {
  private readonly validKeys = new ExpiringLru<Tenant>(VALID_KEYS_MAX);
  private readonly wrongKeys = new ExpiringLru<true>(WRONG_KEYS_MAX);
  private readonly knownKeys = new ExpiringLru<true>(VALID_KEYS_MAX);
  private readonly signingKeys = new ExpiringLru<SigningKey>(VALID_KEYS_MAX);
  private readonly tenants = new ExpiringLru<Tenant>(TENANTS_MAX);
  private readonly budget = new LookupBudget(LIMITS.unknown_key_lookups.value);

  constructor(
    private readonly db: Firestore,
    private readonly defaultKey: () => string,
  ) {}

  /** Whether a look-up of `id` may read the database now (429 when the budget is spent). */
  private mayLookUp(id: string, now: number): void {
    if (this.knownKeys.get(id, now)) return;
    if (!this.budget.take(now)) throw overBudget();
  }

  async resolveApiKey(key: string, now = Date.now()): Promise<Tenant | null> {
    const defaultKey = this.defaultKey();
    const isDefault = defaultKey !== '' && secretsEqual(key, defaultKey);
    const hash = isDefault ? `default:${hashApiKey(key)}` : hashApiKey(key);
    const valid = this.validKeys.get(hash, now);
    if (valid) return valid;
    if (this.wrongKeys.get(hash, now)) return null;
    let tenantId: string | null = isDefault ? DEFAULT_TENANT : null;
    if (!isDefault) {
      this.mayLookUp(hash, now);
      const doc = (await this.db.collection(paths.apiKeys).doc(hash).get()).data() as
        ApiKeyDoc | undefined;
      tenantId = doc && !doc.revoked ? doc.tenant : null;
      if (doc && tenantId && !doc.signingKeyId) {
        // Best effort: a failure only means the next use of the key tries again.
        await this.storeSigningKey(key, hash, tenantId).catch(() => undefined);
      }
    }
    if (!tenantId) {
      this.wrongKeys.set(hash, true, now + WRONG_KEY_CACHE_MS);
      return null;
    }
    const tenant = await this.loadTenant(tenantId);
    this.validKeys.set(hash, tenant, now + API_KEY_CACHE_MS);
    this.knownKeys.set(hash, true, now + KNOWN_KEYS_MS);
    return tenant;
  }

  /**
   * The signing secret of a key made before signing existed, stored the first time the key is
   * used after the upgrade (only its holder can derive it). Keys made since have it from the
   * start (the CLI), and `callwake keys signing-secret` stores it on demand.
   */
  private async storeSigningKey(key: string, hash: string, tenant: string): Promise<void> {
    const secret = signingSecretFor(key);
    const id = signingKeyId(secret);
    const doc: SigningKeyDoc = { tenant, apiKey: hash, secret, createdAt: Date.now() };
    await this.db.collection(paths.signingKeys).doc(id).set(doc);
    await this.db.collection(paths.apiKeys).doc(hash).update({ signingKeyId: id });
    // A signed request this instance refused a moment ago is good from now on.
    this.wrongKeys.delete(id);
  }

  /**
   * The tenant and secret of a PBX signing key id, or null when unknown or when the API key it
   * derives from is revoked (after API_KEY_CACHE_MS, like the key).
   */
  async resolveSigningKey(id: string, now = Date.now()): Promise<SigningKey | null> {
    const cached = this.signingKeys.get(id, now);
    if (cached) return cached;
    if (this.wrongKeys.get(id, now)) return null;
    const found = (await this.defaultSigningKey(id)) ?? (await this.storedSigningKey(id, now));
    if (!found) {
      this.wrongKeys.set(id, true, now + WRONG_KEY_CACHE_MS);
      return null;
    }
    this.signingKeys.set(id, found, now + API_KEY_CACHE_MS);
    this.knownKeys.set(id, true, now + KNOWN_KEYS_MS);
    return found;
  }

  private async defaultSigningKey(id: string): Promise<SigningKey | null> {
    const defaultKey = this.defaultKey();
    if (defaultKey === '') return null;
    const secret = signingSecretFor(defaultKey);
    if (!secretsEqual(signingKeyId(secret), id)) return null;
    return { tenant: await this.loadTenant(DEFAULT_TENANT), secret };
  }

  private async storedSigningKey(id: string, now: number): Promise<SigningKey | null> {
    this.mayLookUp(id, now);
    const doc = (await this.db.collection(paths.signingKeys).doc(id).get()).data() as
      SigningKeyDoc | undefined;
    if (!doc) return null;
    const key = (await this.db.collection(paths.apiKeys).doc(doc.apiKey).get()).data() as
      ApiKeyDoc | undefined;
    if (!key || key.revoked || key.tenant !== doc.tenant) return null;
    return { tenant: await this.loadTenant(doc.tenant), secret: doc.secret };
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
    return {
      id,
      ...(doc?.pushMode ? { pushMode: doc.pushMode } : {}),
      ...(doc?.limits ? { limits: doc.limits } : {}),
    };
  }
}
