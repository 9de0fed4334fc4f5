import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed PBX requests: what a PBX sends instead of its API key, so that nothing in its logs lets
 * a reader act as the tenant.
 *
 * Asterisk logs every dialplan step with its arguments expanded (verbose 3: `Executing [...]
 * Set("...", "CURLOPT(httpheader)=Authorization: Bearer <key>")`), and a global variable's
 * value when the dialplan loads (verbose 2: "Setting global variable"); see main/pbx.c
 * pbx_extension_helper and main/pbx_variables.c pbx_builtin_setvar_helper. A function's result
 * is substituted before the step is logged, so a step shows what SHA1() returned, never its
 * argument. The dialplan therefore reads the signing secret from a file inside SHA1()
 * (`${SHA1(${FILE(...)}...)}`), and the log holds only the signature: good for one request
 * (method, path, body), within SIGNATURE_WINDOW_S, once.
 *
 * The MAC: the dialplan has SHA1() and MD5() and no XOR (func_sha1.c), so HMAC's padded keys
 * cannot be built there. Kamailio 5.6 has {s.sha256} and no SHA-1 (pv_trans.c). Both compute
 * NMAC (the construction HMAC is derived from; Bellare, "New Proofs for NMAC and HMAC", 2006,
 * needs no collision resistance): sig = H(kOut ‖ hex(H(kIn ‖ message))), where kIn and kOut are
 * each 64 characters, one block of SHA-1 or SHA-256, so each hash starts from a secret state.
 * The outer hash stops length extension.
 */

export type SignatureAlg = 'sha1' | 'sha256';

/**
 * How far a signed request's timestamp may be from the server's clock, either way: long enough
 * for a PBX whose clock NTP keeps, short enough that the record of used signatures stays small.
 */
export const SIGNATURE_WINDOW_S = 120;

/** Signing key ids: `cws_` and 24 hex digits (a digest of the secret, not the secret). */
export const SIGNING_KEY_ID = /^cws_[0-9a-f]{24}$/;

export interface SignedCredential {
  keyId: string;
  alg: SignatureAlg;
  /** Epoch seconds, as the PBX's clock said when it signed. */
  ts: number;
  /** Any value the PBX picks per request (a random number): two requests alike in one second differ. */
  nonce: string;
  sig: string;
}

const SECRET_LABEL = 'callwake pbx signing secret v1';

/**
 * A PBX signing secret (128 hex digits: kIn, then kOut) derived from a tenant's API key: whoever
 * holds the key can derive it (`npx callwake keys signing-secret`), and it stops working with
 * the key.
 */
export function signingSecretFor(apiKey: string): string {
  return createHmac('sha512', apiKey).update(SECRET_LABEL).digest('hex');
}

/** The public id of a signing secret, which the PBX sends beside each signature. */
export function signingKeyId(secret: string): string {
  return `cws_${createHash('sha256').update(secret).digest('hex').slice(0, 24)}`;
}

/**
 * What is signed: the method, the path with its query string, the timestamp, the nonce and the
 * body, separated by single spaces (none of the first four holds a space).
 */
export function canonicalRequest(
  method: string,
  pathAndQuery: string,
  credential: Pick<SignedCredential, 'ts' | 'nonce'>,
  body: string,
): string {
  return `${method.toUpperCase()} ${pathAndQuery} ${credential.ts} ${credential.nonce} ${body}`;
}

const hex = (alg: SignatureAlg, text: string) => createHash(alg).update(text).digest('hex');

/** The signature of `canonical` with `secret` (the NMAC above). */
export function signRequest(secret: string, alg: SignatureAlg, canonical: string): string {
  const kIn = secret.slice(0, 64);
  const kOut = secret.slice(64, 128);
  return hex(alg, kOut + hex(alg, kIn + canonical));
}

/** Whether `sig` is the signature of `canonical`, compared in constant time. */
export function signatureMatches(
  secret: string,
  credential: Pick<SignedCredential, 'alg' | 'sig'>,
  canonical: string,
): boolean {
  const expected = Buffer.from(signRequest(secret, credential.alg, canonical), 'utf8');
  const given = Buffer.from(credential.sig, 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

const PASSWORD =
  /^v1\.(sha1|sha256)\.(\d{1,12})\.([A-Za-z0-9]{1,32})\.([0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * A signed credential from HTTP Basic's user and password (`<key id>` and
 * `v1.<alg>.<ts>.<nonce>.<sig>`: what the Asterisk include sets with CURLOPT(userpwd), which replaces the
 * previous value, where every CURLOPT(httpheader) would add one more header), or null when the
 * pair is not one.
 */
export function parseSignedBasic(user: string, password: string): SignedCredential | null {
  if (!SIGNING_KEY_ID.test(user)) return null;
  const match = PASSWORD.exec(password);
  if (!match) return null;
  const [, alg, ts, nonce, sig] = match;
  if ((alg === 'sha1') !== (sig?.length === 40)) return null;
  return {
    keyId: user,
    alg: alg as SignatureAlg,
    ts: Number(ts),
    nonce: nonce ?? '',
    sig: sig ?? '',
  };
}

const BODY_FIELDS =
  /(^|&)cw_key=(cws_[0-9a-f]{24})&cw_auth=(v1\.(?:sha1|sha256)\.\d{1,12}\.[A-Za-z0-9]{1,32}\.[0-9a-f]{40,64})$/;

/**
 * A signed credential carried at the end of a form body (`...&cw_key=<key id>&cw_auth=v1...`),
 * and the body it signs (what comes before), or null. The Asterisk include computes the
 * signature inside the CURL() call's own arguments: Asterisk logs a step only once its
 * functions have run, and then shows CURL()'s answer, not its arguments; and func_curl's
 * warning for a failed connection names the URL, never the body. So no Asterisk log holds the
 * signature, not even of a request that never reached callwake.
 */
export function parseSignedBody(
  body: string,
): { credential: SignedCredential; signedBody: string } | null {
  const match = BODY_FIELDS.exec(body);
  if (!match) return null;
  const [whole, , keyId = '', password = ''] = match;
  const credential = parseSignedBasic(keyId, password);
  return credential ? { credential, signedBody: body.slice(0, body.length - whole.length) } : null;
}

/** Why a signature's timestamp is refused, or null when it is within the window. */
export function staleness(ts: number, nowMs: number): 'early' | 'late' | null {
  const now = Math.floor(nowMs / 1000);
  if (ts > now + SIGNATURE_WINDOW_S) return 'early';
  if (ts < now - SIGNATURE_WINDOW_S) return 'late';
  return null;
}
