import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  ApnsProviderToken,
  MIN_UPDATE_INTERVAL_MS,
  TOKEN_WINDOW_MS,
  type ProviderToken,
} from '../../../functions/push/apnsProviderToken';
import { KEY_ID, ManualClock, TEAM_ID, es256Key } from './apnsFixtures';

const MINUTE = 60_000;
/** A window boundary, as epoch ms. */
const BOUNDARY = Math.ceil(Date.parse('2025-06-01T12:00:00Z') / TOKEN_WINDOW_MS) * TOKEN_WINDOW_MS;

function parts(jwt: string) {
  const [h = '', c = '', sig = ''] = jwt.split('.');
  const decode = (s: string) => JSON.parse(Buffer.from(s, 'base64url').toString()) as unknown;
  return { header: decode(h), claims: decode(c) as { iss: string; iat: number }, h, c, sig };
}

describe('ApnsProviderToken', () => {
  const key = es256Key();
  const make = (clock: ManualClock, signingKey = key.privateKey) =>
    new ApnsProviderToken({ key: signingKey, keyId: KEY_ID, teamId: TEAM_ID, clock: clock.now });

  it('signs a JWT Apple can verify: ES256, kid, iss, iat in seconds', async () => {
    const clock = new ManualClock(BOUNDARY + 5 * MINUTE);
    const { jwt, issuedAt } = await make(clock).current();
    const { header, claims, h, c, sig } = parts(jwt);
    assert.deepEqual(header, { alg: 'ES256', kid: KEY_ID });
    assert.deepEqual(claims, { iss: TEAM_ID, iat: BOUNDARY / 1000 });
    assert.equal(issuedAt, BOUNDARY);
    const verifier = {
      key: crypto.createPublicKey(key.publicKey),
      dsaEncoding: 'ieee-p1363' as const,
    };
    assert.ok(
      crypto.verify('sha256', Buffer.from(`${h}.${c}`), verifier, Buffer.from(sig, 'base64url')),
    );
  });

  it('gives every instance the identical JWT within a window, whatever its start time', async () => {
    const times = [1, 2, 10, 17, 29, 30.9].map((m) => BOUNDARY + m * MINUTE);
    const jwts = await Promise.all(times.map((t) => make(new ManualClock(t)).current()));
    assert.equal(new Set(jwts.map((t) => t.jwt)).size, 1);
    // A different key gives a different token: the determinism is the key's, not a constant.
    const other = await make(new ManualClock(times[0]!), es256Key().privateKey).current();
    assert.notEqual(other.jwt, jwts[0]!.jwt);
  });

  it('renews after 20 and before 60 minutes: a new token each 30-minute window, one minute in', async () => {
    const clock = new ManualClock(BOUNDARY + 2 * MINUTE);
    const token = make(clock);
    const first = await token.current();
    clock.ms = BOUNDARY + TOKEN_WINDOW_MS + MINUTE - 1;
    assert.equal((await token.current()).jwt, first.jwt);
    // The oldest a token gets in normal use: 31 minutes.
    assert.equal(clock.ms - first.issuedAt, 31 * MINUTE - 1);
    clock.advance(1);
    const second = await token.current();
    assert.notEqual(second.jwt, first.jwt);
    assert.equal(second.issuedAt - first.issuedAt, TOKEN_WINDOW_MS);
    assert.ok(TOKEN_WINDOW_MS >= 20 * MINUTE && TOKEN_WINDOW_MS + MINUTE < 60 * MINUTE);
  });

  it('never goes back to an older window when its clock steps back', async () => {
    const clock = new ManualClock(BOUNDARY + 31 * MINUTE);
    const token = make(clock);
    const newer = await token.current();
    clock.ms = BOUNDARY + 29 * MINUTE;
    assert.equal((await token.current()).jwt, newer.jwt);
    // A fresh instance with that slow clock still presents the older one: skew only moves the
    // switch, it never makes an instance flip back and forth.
    assert.notEqual((await make(clock).current()).jwt, newer.jwt);
  });

  it('moves every instance to the same next generation after ExpiredProviderToken', async () => {
    const clock = new ManualClock(BOUNDARY + 5 * MINUTE);
    const [a, b] = [make(clock), make(clock)];
    const refused = await a.current();
    // Both instances were told at about the same time; each moves once.
    await Promise.all([a.expired(refused), a.expired(refused), b.expired(await b.current())]);
    const [nextA, nextB] = await Promise.all([a.current(), b.current()]);
    assert.equal(nextA.jwt, nextB.jwt);
    assert.notEqual(nextA.jwt, refused.jwt);
    assert.equal(nextA.issuedAt - refused.issuedAt, 1000);
    // The next window starts again from generation 0.
    clock.advance(TOKEN_WINDOW_MS);
    assert.equal((await a.current()).issuedAt, BOUNDARY + TOKEN_WINDOW_MS);
  });

  it('keeps the token Apple took when a new one is refused as too many updates, for 20 minutes', async () => {
    const clock = new ManualClock(BOUNDARY + 29 * MINUTE);
    const token = make(clock);
    const old = await token.current();
    token.accepted(old);
    clock.ms = BOUNDARY + 31 * MINUTE;
    const refusedNew = await token.current();
    assert.notEqual(refusedNew.jwt, old.jwt);
    assert.deepEqual(await token.updateRefused(refusedNew), { retryNow: true, retryAfterMs: 0 });
    assert.equal((await token.current()).jwt, old.jwt);
    clock.advance(MIN_UPDATE_INTERVAL_MS - 1);
    assert.equal((await token.current()).jwt, old.jwt);
    // Still under 55 minutes old at the end of the hold: Apple takes it all along.
    assert.ok(clock.ms - old.issuedAt < 55 * MINUTE);
    clock.advance(1);
    assert.equal((await token.current()).jwt, refusedNew.jwt);
  });

  it('falls back on the previous window’s token when it has none of its own', async () => {
    const clock = new ManualClock(BOUNDARY + 31 * MINUTE);
    const cold = make(clock);
    const refused = await cold.current();
    assert.deepEqual(await cold.updateRefused(refused), { retryNow: true, retryAfterMs: 0 });
    const fallback = await cold.current();
    const previous = await make(new ManualClock(BOUNDARY + 29 * MINUTE)).current();
    assert.equal(fallback.jwt, previous.jwt);
  });

  it('reports a delay, and signs nothing new, when no older token is young enough', async () => {
    const clock = new ManualClock(BOUNDARY + 31 * MINUTE);
    const token = make(clock);
    const refused = await token.current();
    const previous = await make(new ManualClock(BOUNDARY + 29 * MINUTE)).current();
    await token.expired(previous); // Apple refused the previous window's token as well.
    const verdict = await token.updateRefused(refused);
    assert.equal(verdict.retryNow, false);
    assert.ok(verdict.retryAfterMs > 0);
    assert.equal((await token.current()).jwt, refused.jwt);
  });

  it('drops a fallback Apple calls expired', async () => {
    const clock = new ManualClock(BOUNDARY + 31 * MINUTE);
    const token = make(clock);
    const refused = await token.current();
    await token.updateRefused(refused);
    const fallback: ProviderToken = await token.current();
    await token.expired(fallback);
    assert.equal((await token.current()).jwt, refused.jwt);
  });

  it('rejects a key that is not a P-256 private key', async () => {
    const rsa = crypto.generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    await assert.rejects(make(new ManualClock(BOUNDARY), rsa.privateKey).current());
    await assert.rejects(make(new ManualClock(BOUNDARY), 'not a key').current());
  });
});
