import assert from 'node:assert/strict';
import {
  canonicalRequest,
  parseSignedBasic,
  parseSignedBody,
  SIGNATURE_WINDOW_S,
  signatureMatches,
  signingKeyId,
  signingSecretFor,
  signRequest,
  staleness,
} from '../../../../functions/core/access/pbxSignature';

// Computed apart from this code (Python's hmac and hashlib), as a PBX computes them: the
// secret from the key, and NMAC over the request with SHA-1 (Asterisk) and SHA-256 (Kamailio).
const KEY = 'cwk_example_key_for_vectors_0123456789';
const SECRET =
  '12c5c1888e9892a051913f7849c5685482eb9daed5a38fa7d3696c69a8e133593756292616df988c08e5a5e6f6598ab5df1e911ac01497a64df5e975295cf802';
const KEY_ID = 'cws_f75f661e06a54a19c53e4380';
const REQUEST = { ts: 1767225600, nonce: '123456789' };
const BODY = 'call_id=1767225600.42&to=1001';
const SHA1_SIG = 'e635f0821a1647c20f236b384a912311d6647a36';
const SHA256_SIG = 'c47208bf0161105fcb2d266cdb5d10d4495315818b73d3bb1c7b5b06f6c1a08f';

describe('pbxSignature: signed PBX requests', () => {
  const canonical = canonicalRequest('POST', '/v1/calls', REQUEST, BODY);

  it('derives the signing secret and its id from the API key, as documented', () => {
    assert.equal(signingSecretFor(KEY), SECRET);
    assert.equal(signingKeyId(SECRET), KEY_ID);
  });

  it('signs method, path, time, nonce and body with NMAC-SHA1 and NMAC-SHA256', () => {
    assert.equal(canonical, `POST /v1/calls 1767225600 123456789 ${BODY}`);
    assert.equal(signRequest(SECRET, 'sha1', canonical), SHA1_SIG);
    assert.equal(signRequest(SECRET, 'sha256', canonical), SHA256_SIG);
  });

  it('matches only the very request signed: any other method, path, time, nonce or body fails', () => {
    const cred = { alg: 'sha1' as const, sig: SHA1_SIG };
    assert.ok(signatureMatches(SECRET, cred, canonical));
    const others = [
      canonicalRequest('GET', '/v1/calls', REQUEST, BODY),
      canonicalRequest('POST', '/v1/calls/x/cancel', REQUEST, BODY),
      canonicalRequest('POST', '/v1/calls', { ...REQUEST, ts: REQUEST.ts + 1 }, BODY),
      canonicalRequest('POST', '/v1/calls', { ...REQUEST, nonce: '1' }, BODY),
      canonicalRequest('POST', '/v1/calls', REQUEST, `${BODY}&to=1002`),
    ];
    for (const other of others) assert.ok(!signatureMatches(SECRET, cred, other), other);
    assert.ok(!signatureMatches(signingSecretFor('cwk_another_key'), cred, canonical));
    assert.ok(!signatureMatches(SECRET, { alg: 'sha256', sig: SHA1_SIG }, canonical));
  });

  it('reads the credential from HTTP Basic, and from the end of a form body', () => {
    const password = `v1.sha1.${REQUEST.ts}.${REQUEST.nonce}.${SHA1_SIG}`;
    const expected = { keyId: KEY_ID, alg: 'sha1', ...REQUEST, sig: SHA1_SIG };
    assert.deepEqual(parseSignedBasic(KEY_ID, password), expected);
    assert.deepEqual(parseSignedBody(`${BODY}&cw_key=${KEY_ID}&cw_auth=${password}`), {
      credential: expected,
      signedBody: BODY,
    });
    assert.deepEqual(parseSignedBody(`cw_key=${KEY_ID}&cw_auth=${password}`)?.signedBody, '');
    // Not a signed credential: an API key, a wrong id (or one inside a longer user), a sha1 name with a sha256 digest, fields
    // not at the end, a nonce with a space.
    assert.equal(parseSignedBasic('pbx', KEY), null);
    assert.equal(parseSignedBasic('cws_nothex', password), null);
    assert.equal(parseSignedBasic(`x${KEY_ID}`, password), null);
    assert.equal(parseSignedBasic(`${KEY_ID}0`, password), null);
    assert.equal(parseSignedBasic(KEY_ID, password.replace(SHA1_SIG, SHA256_SIG)), null);
    assert.equal(parseSignedBody(`cw_key=${KEY_ID}&cw_auth=${password}&to=1001`), null);
    assert.equal(parseSignedBasic(KEY_ID, `v1.sha1.${REQUEST.ts}.1 2.${SHA1_SIG}`), null);
  });

  it('takes only a whole key id as the Basic user: nothing before it, nothing after', () => {
    const password = `v1.sha1.${REQUEST.ts}.${REQUEST.nonce}.${SHA1_SIG}`;
    assert.equal(parseSignedBasic(`pbx-${KEY_ID}`, password), null);
    assert.equal(parseSignedBasic(`${KEY_ID}0`, password), null);
    assert.equal(parseSignedBasic(KEY_ID, `x${password}`), null);
    assert.equal(parseSignedBasic(KEY_ID, `${password}0`), null);
  });

  it(`accepts a timestamp within ${SIGNATURE_WINDOW_S} s of the server's clock, either way`, () => {
    const now = REQUEST.ts * 1000;
    assert.equal(staleness(REQUEST.ts, now), null);
    assert.equal(staleness(REQUEST.ts - SIGNATURE_WINDOW_S, now), null);
    assert.equal(staleness(REQUEST.ts + SIGNATURE_WINDOW_S, now), null);
    assert.equal(staleness(REQUEST.ts - SIGNATURE_WINDOW_S - 1, now), 'late');
    assert.equal(staleness(REQUEST.ts + SIGNATURE_WINDOW_S + 1, now), 'early');
  });
});
