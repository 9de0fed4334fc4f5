import assert from 'node:assert/strict';
import type { Firestore } from 'firebase-admin/firestore';
import { ExpiringLru } from '../../../functions/store/expiringLru';
import type { AppError } from '../../../functions/core/errors';
import { LIMITS } from '../../../functions/core/limits';
import { API_KEY_CACHE_MS, TenantDirectory } from '../../../functions/store/tenantDirectory';
import { hashApiKey } from '../../../functions/core/access/apiKeyHash';

/** Just enough of Firestore for the directory: documents by path, every read counted. */
class CountingDb {
  readonly docs = new Map<string, Record<string, unknown>>();
  reads = 0;

  doc(path: string) {
    return {
      get: () => {
        this.reads += 1;
        const data = this.docs.get(path);
        return Promise.resolve({ data: () => (data ? { ...data } : undefined) });
      },
    };
  }

  collection(path: string) {
    return { doc: (id: string) => this.doc(`${path}/${id}`) };
  }
}

const T0 = 1_700_000_000_000;

describe('TenantDirectory: the API key cache', () => {
  let db: CountingDb;
  let directory: TenantDirectory;
  const VALID = 'cwk_valid_key_of_acme_0123456789';

  beforeEach(() => {
    db = new CountingDb();
    db.docs.set(`apiKeys/${hashApiKey(VALID)}`, { tenant: 'acme' });
    db.docs.set('tenants/acme', { pushMode: 'outbox' });
    directory = new TenantDirectory(db as unknown as Firestore, () => 'the-default-key');
  });

  it('resolves a valid key once per cache period (two reads), the default key with none', async () => {
    assert.deepEqual(await directory.resolveApiKey(VALID, T0), { id: 'acme', pushMode: 'outbox' });
    assert.equal(db.reads, 2);
    assert.deepEqual(await directory.resolveApiKey(VALID, T0 + API_KEY_CACHE_MS - 1), {
      id: 'acme',
      pushMode: 'outbox',
    });
    assert.equal(db.reads, 2);
    await directory.resolveApiKey(VALID, T0 + API_KEY_CACHE_MS);
    assert.equal(db.reads, 4, 'looked up again once the period ended');
    assert.deepEqual(await directory.resolveApiKey('the-default-key', T0), { id: 'default' });
  });

  it('keeps every valid key through a spray of 10,000 wrong ones, and reads for a few of them only', async () => {
    await directory.resolveApiKey(VALID, T0);
    const readsBefore = db.reads;
    let refused = 0;
    for (let i = 0; i < 10_000; i += 1) {
      try {
        assert.equal(await directory.resolveApiKey(`cwk_sprayed_${i}`, T0 + 1), null);
      } catch (err) {
        assert.equal((err as AppError).code, 'rate_limited');
        assert.equal((err as AppError).limit, 'unknown_key_lookups');
        refused += 1;
      }
    }
    // The burst, less the look-up the valid key took when it was new.
    const burst = 2 * LIMITS.unknown_key_lookups.value - 1;
    assert.equal(db.reads - readsBefore, burst, 'a read for each of the first few only');
    assert.equal(refused, 10_000 - burst, 'the rest answered 429 without a read');
    const before = db.reads;
    assert.deepEqual(await directory.resolveApiKey(VALID, T0 + 2), {
      id: 'acme',
      pushMode: 'outbox',
    });
    assert.equal(db.reads, before, 'the valid key cost no read after the spray');
    // A key this instance knows (seen valid, its cache entry now expired) is looked up whatever
    // the spray spent; and the budget comes back with time.
    assert.equal((await directory.resolveApiKey(VALID, T0 + API_KEY_CACHE_MS + 3))?.id, 'acme');
    assert.equal(await directory.resolveApiKey('cwk_new_after_a_while', T0 + 10_000), null);
  });

  it('remembers a wrong key for 5 s only, so a key made just now works soon after', async () => {
    const fresh = 'cwk_made_a_moment_later_0123456789';
    assert.equal(await directory.resolveApiKey(fresh, T0), null);
    db.docs.set(`apiKeys/${hashApiKey(fresh)}`, { tenant: 'acme' });
    const reads = db.reads;
    assert.equal(await directory.resolveApiKey(fresh, T0 + 4_999), null);
    assert.equal(db.reads, reads, 'a repeat of a wrong key costs no read');
    assert.equal((await directory.resolveApiKey(fresh, T0 + 5_000))?.id, 'acme');
  });

  it('stops accepting a revoked key within API_KEY_CACHE_MS (30 s), the documented delay', async () => {
    assert.equal(API_KEY_CACHE_MS, 30_000);
    await directory.resolveApiKey(VALID, T0);
    db.docs.set(`apiKeys/${hashApiKey(VALID)}`, { tenant: 'acme', revoked: true });
    assert.equal((await directory.resolveApiKey(VALID, T0 + API_KEY_CACHE_MS - 1))?.id, 'acme');
    assert.equal(await directory.resolveApiKey(VALID, T0 + API_KEY_CACHE_MS), null);
    // A fresh instance (or one that never used the key) refuses it at once.
    const cold = new TenantDirectory(db as unknown as Firestore, () => '');
    assert.equal(await cold.resolveApiKey(VALID, T0 + 1), null);
  });

  it('keeps the most recently used of more valid keys than it holds', async () => {
    const keys = Array.from({ length: 1_001 }, (_v, i) => `cwk_tenant_key_${i}_0123456789`);
    for (const key of keys) db.docs.set(`apiKeys/${hashApiKey(key)}`, { tenant: 'acme' });
    // One new key every 100 ms: within the look-up budget.
    const at = (i: number) => T0 + i * 100;
    for (const [i, key] of keys.entries()) await directory.resolveApiKey(key, at(i));
    const now = at(keys.length);
    let reads = db.reads;
    await directory.resolveApiKey(keys[1_000]!, now);
    assert.equal(db.reads, reads, 'the newest is cached');
    await directory.resolveApiKey(keys[keys.length - 200]!, now);
    assert.equal(db.reads, reads, 'and those used in the last 30 s');
    await directory.resolveApiKey(keys[0]!, now);
    assert.equal(db.reads, reads + 2, 'the least recently used was evicted (or had expired)');
    reads = db.reads;
    await directory.resolveApiKey(keys[0]!, now + 1);
    assert.equal(db.reads, reads);
  });
});

describe('ExpiringLru', () => {
  it('expires entries, and evicts the least recently used when full', () => {
    const lru = new ExpiringLru<number>(2);
    lru.set('a', 1, 100);
    lru.set('b', 2, 100);
    assert.equal(lru.get('a', 0), 1); // a is now the most recently used
    lru.set('c', 3, 100);
    assert.equal(lru.get('b', 0), undefined);
    assert.equal(lru.get('a', 0), 1);
    assert.equal(lru.get('c', 99), 3);
    assert.equal(lru.get('c', 100), undefined, 'expired');
    assert.equal(lru.size, 1);
  });
});
