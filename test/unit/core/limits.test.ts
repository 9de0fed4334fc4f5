import assert from 'node:assert/strict';
import { LIMITS, limitFor } from '../../../functions/core/limits';

describe('limitFor: the number that holds for a tenant', () => {
  it('is the default for a tenant that sets none', () => {
    assert.equal(limitFor('calls_per_second'), LIMITS.calls_per_second.value);
    assert.equal(limitFor('calls_per_second', {}), 10);
    assert.equal(limitFor('calls_per_second', { limits: {} }), 10);
  });

  it("is the tenant's own where it may set one, lower or higher, down to zero", () => {
    assert.equal(limitFor('calls_per_second', { limits: { calls_per_second: 3 } }), 3);
    assert.equal(limitFor('long_polls', { limits: { long_polls: 1_000 } }), 1_000);
    assert.equal(limitFor('devices_per_user', { limits: { devices_per_user: 0 } }), 0);
  });

  it('caps the own number at the most a tenant may set', () => {
    const limits = { app_devices_per_extension: 5_000, pbx_devices_per_extension: 200 };
    assert.equal(limitFor('app_devices_per_extension', { limits }), 200);
    assert.equal(limitFor('pbx_devices_per_extension', { limits }), 200);
  });

  it('keeps the default where a tenant may not set its own', () => {
    const limits = { pairing_attempts: 1_000, calls_per_extension_per_minute: 1 };
    assert.equal(limitFor('pairing_attempts', { limits }), LIMITS.pairing_attempts.value);
    assert.equal(limitFor('calls_per_extension_per_minute', { limits }), 30);
  });

  it('ignores an own number that is negative, fractional or not a number', () => {
    for (const own of [-1, 2.5, Number.NaN, '5'] as unknown as number[]) {
      assert.equal(
        limitFor('calls_in_flight', { limits: { calls_in_flight: own } }),
        100,
        String(own),
      );
    }
  });
});
