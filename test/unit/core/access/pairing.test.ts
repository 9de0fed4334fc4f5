import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  hashPairingCode,
  newPairingCode,
  PAIRING_FAILURES,
  PAIRING_TTL_MS,
  pairingLimits,
  pairUri,
} from '../../../../functions/core/access/pairing';

describe('pairing codes', () => {
  it('look like XXXXX-XXXXX, from an alphabet without look-alikes', () => {
    for (let i = 0; i < 50; i += 1) {
      assert.match(newPairingCode(), /^[A-HJKMNP-Z2-9]{5}-[A-HJKMNP-Z2-9]{5}$/);
    }
  });

  it('are stored hashed as typed, ignoring case, spaces and dashes', () => {
    const stored = createHash('sha256').update('ABCDEFGHJK').digest('hex');
    assert.equal(hashPairingCode('abcde-fghjk'), stored);
    assert.equal(hashPairingCode(' ABCDE FGHJK '), stored);
  });

  it("last ten minutes; wrong guesses are counted per user only, so nobody else's lock them out", () => {
    assert.equal(PAIRING_TTL_MS, 600_000);
    assert.equal(PAIRING_FAILURES.windowMs, 600_000);
    assert.deepEqual(
      pairingLimits('u1').map((l) => [l.key, l.limit]),
      [['pair:u1', PAIRING_FAILURES.limit]],
    );
  });

  it('travel in a URI the app reads', () => {
    assert.equal(
      pairUri('AB CD', 't/1', '1 0'),
      'callwake://pair?code=AB%20CD&tenant=t%2F1&extension=1%200',
    );
  });
});
