import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { PairingCode, PairingStore } from '../../functions/core/ports';

/**
 * The PairingStore contract: a code is good once, until it expires, and only for the extension
 * it was made for. Checked against the in-memory double and FirestorePairingStore alike; codes
 * live in one collection, so each test makes its own hashes and tenant.
 */
const NOW = 1_700_000_000_000;

export function pairingStoreContract(name: string, make: () => PairingStore): void {
  describe(`PairingStore contract: ${name}`, () => {
    let store: PairingStore;
    let hash: string;
    let code: PairingCode;
    beforeEach(async () => {
      store = make();
      hash = randomBytes(32).toString('hex');
      code = { tenant: `t-${randomBytes(6).toString('hex')}`, extension: '100', expiresAt: NOW };
      await store.create(hash, code);
    });

    it('redeems a code once: the code the first time, then used', async () => {
      assert.deepEqual(await store.redeem(hash, 'u1', NOW - 1), code);
      assert.equal(await store.redeem(hash, 'u2', NOW - 1), 'used');
    });

    it('answers unknown for a hash never created', async () => {
      assert.equal(await store.redeem(randomBytes(32).toString('hex'), 'u1', NOW - 1), 'unknown');
    });

    it('answers expired from the code’s expiry on, and the code stays unused', async () => {
      assert.equal(await store.redeem(hash, 'u1', NOW), 'expired');
      assert.equal(await store.redeem(hash, 'u1', NOW + 1), 'expired');
    });

    it('counts a code of another extension or tenant as unknown, and leaves it unused', async () => {
      const { tenant } = code;
      assert.equal(
        await store.redeem(hash, 'u1', NOW - 1, { tenant, extension: '200' }),
        'unknown',
      );
      assert.equal(
        await store.redeem(hash, 'u1', NOW - 1, { tenant: 'elsewhere', extension: '100' }),
        'unknown',
      );
      assert.deepEqual(await store.redeem(hash, 'u1', NOW - 1, { tenant, extension: '100' }), code);
    });

    it('lets one of many concurrent redeemers have the code', async () => {
      const results = await Promise.all(
        ['a', 'b', 'c', 'd'].map((uid) => store.redeem(hash, uid, NOW - 1)),
      );
      assert.equal(results.filter((r) => typeof r === 'object').length, 1);
      assert.equal(results.filter((r) => r === 'used').length, 3);
    });

    it('refuses to create a code over one with the same hash', async () => {
      await assert.rejects(store.create(hash, { ...code, extension: '200' }));
      assert.deepEqual(await store.redeem(hash, 'u1', NOW - 1), code);
    });
  });
}
