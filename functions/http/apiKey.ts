import { createHash } from 'node:crypto';
import { AppError } from '../core/errors';
import {
  canonicalRequest,
  parseSignedBasic,
  parseSignedBody,
  signatureMatches,
  SIGNATURE_WINDOW_S,
  staleness,
  type SignedCredential,
} from '../core/access/pbxSignature';
import type { Tenant } from '../core/ports';
import type { ApiContext, ApiRequest } from './types';

const QUERY_KEY_NAMES = ['key', 'api_key', 'apikey', 'token', 'access_token'];

/** What a PBX authenticates with: its API key, or a signature made with its signing secret. */
export type PbxCredential =
  | { kind: 'key'; key: string }
  | { kind: 'signed'; credential: SignedCredential; signedBody: string };

/** A form body, as parseBody reads it (a POST with no Content-Type is one too). */
function isForm(req: ApiRequest): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === '' || type === 'application/x-www-form-urlencoded';
}

function basicPair(credentials: string): { user: string; password: string } {
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0
    ? { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
    : { user: '', password: decoded };
}

/**
 * The PBX's credential: a signed request (HTTP Basic with a signing key id as user and
 * `v1.<alg>.<ts>.<nonce>.<sig>` as password, or the same two at the end of a form body as
 * `cw_key` and `cw_auth`), or the API key from `Authorization: Bearer`, `X-Api-Key`, or HTTP
 * Basic (the password, or the user alone). Never the query string: URLs end up in proxy and PBX
 * logs.
 */
export function extractPbxCredential(req: ApiRequest): PbxCredential | null {
  if (QUERY_KEY_NAMES.some((name) => req.query.has(name))) {
    throw new AppError(
      'unauthenticated',
      'API keys are not accepted in the query string; send an Authorization header.',
    );
  }
  const header = req.headers['x-api-key']?.trim();
  if (header) return { kind: 'key', key: header };
  const authorization = req.headers.authorization?.trim() ?? '';
  const [scheme = '', credentials = ''] = authorization.split(/\s+/, 2);
  if (!authorization) {
    const inBody = isForm(req) ? parseSignedBody(req.body.toString()) : null;
    return inBody && { kind: 'signed', ...inBody };
  }
  if (/^bearer$/i.test(scheme) && credentials) return { kind: 'key', key: credentials };
  if (/^basic$/i.test(scheme) && credentials) {
    const { user, password } = basicPair(credentials);
    const signed = parseSignedBasic(user, password);
    if (signed) return { kind: 'signed', credential: signed, signedBody: req.body.toString() };
    const key = password || user;
    return key ? { kind: 'key', key } : null;
  }
  return null;
}

/** The API key a request carries (an app route that also takes one), or null. */
export function extractApiKey(req: ApiRequest): string | null {
  const credential = extractPbxCredential(req);
  return credential?.kind === 'key' ? credential.key : null;
}

const unauthenticated = (message: string) => new AppError('unauthenticated', message);

/**
 * The tenant of a signed request. The signature covers the method, the path and query string,
 * the timestamp, the nonce and the body; it is good within SIGNATURE_WINDOW_S either way of the
 * server's clock, and once.
 */
async function signedTenant(
  req: ApiRequest,
  ctx: ApiContext,
  credential: SignedCredential,
  signedBody: string,
): Promise<{ tenant: Tenant; single: () => Promise<void> }> {
  const now = ctx.clock.now();
  const off = staleness(credential.ts, now);
  if (off) {
    throw unauthenticated(
      `The request's signature is ${off === 'late' ? 'too old' : 'dated in the future'} (more than ${SIGNATURE_WINDOW_S} s from callwake's clock): check the PBX's clock.`,
    );
  }
  const key = await ctx.resolveSigningKey(credential.keyId);
  if (!key)
    throw unauthenticated('The signing key is not valid (unknown, or its API key revoked).');
  const canonical = canonicalRequest(req.method, req.target, credential, signedBody);
  if (!signatureMatches(key.secret, credential, canonical)) {
    throw unauthenticated(
      'The request signature does not match its method, path, timestamp and body.',
    );
  }
  // Every signed request is good once, reads too: nothing a log shows authenticates again.
  const single = async () => {
    const id = createHash('sha256').update(credential.sig).digest('hex');
    const until = (credential.ts + SIGNATURE_WINDOW_S + 60) * 1000;
    if (!(await ctx.replays.claim(id, until))) {
      throw unauthenticated('This signed request was sent before: a signature is good once.');
    }
  };
  return { tenant: key.tenant, single };
}

export interface PbxAuth {
  tenant: Tenant;
  /**
   * Resolves once a signed request has claimed its single use (at once for an API key), so a
   * route can run it beside its first read; rejects 401 for a replay. Await it before writing.
   */
  single: () => Promise<void>;
}

/**
 * Who the PBX is. `signed`: whether this route takes a signed request (the routes a dialplan or
 * proxy calls), or only the API key (members, pairing codes: an administrator's).
 */
export async function authenticatePbx(
  req: ApiRequest,
  ctx: ApiContext,
  signed: boolean,
): Promise<PbxAuth> {
  const credential = extractPbxCredential(req);
  if (!credential) {
    throw unauthenticated(
      'An API key is required: Authorization: Bearer <key>, X-Api-Key: <key>, or HTTP Basic with the key as password; or a signed request (see integrations/).',
    );
  }
  if (credential.kind === 'signed') {
    if (!signed) {
      throw unauthenticated(
        'This route takes the API key itself, not a signed request: it is for administrators, not for the dialplan.',
      );
    }
    return signedTenant(req, ctx, credential.credential, credential.signedBody);
  }
  const tenant = await ctx.resolveApiKey(credential.key);
  if (!tenant) throw unauthenticated('The API key is not valid.');
  return { tenant, single: () => Promise.resolve() };
}

/** The tenant whose API key (or, where `signed`, whose signature) the request carries; 401 otherwise. */
export async function requireTenant(
  req: ApiRequest,
  ctx: ApiContext,
  signed = false,
): Promise<Tenant> {
  const auth = await authenticatePbx(req, ctx, signed);
  await auth.single();
  return auth.tenant;
}
