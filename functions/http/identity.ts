import { AppError } from '../core/errors';
import type { Tenant } from '../core/ports';
import { extractApiKey } from './apiKey';
import type { ApiContext, ApiRequest } from './types';

/** Firebase ID tokens are JWTs; API keys never are (the emulator's tokens carry no signature). */
const JWT = /^eyJ[\w-]*\.[\w-]*\.[\w-]*$/;

export type Caller = { kind: 'pbx'; tenant: Tenant } | { kind: 'app'; uid: string };

/**
 * Who is calling an app route: a signed-in app user (`Authorization: Bearer
 * <Firebase ID token>`), or, where `allowApiKey`, a PBX with its API key.
 */
export async function identify(
  req: ApiRequest,
  ctx: ApiContext,
  allowApiKey: boolean,
): Promise<Caller> {
  const credential = extractApiKey(req);
  if (credential && JWT.test(credential)) {
    const user = await ctx.verifyIdToken(credential);
    if (!user)
      throw new AppError(
        'unauthenticated',
        'The ID token is not valid or has expired; sign in again.',
      );
    return { kind: 'app', uid: user.uid };
  }
  if (credential && allowApiKey) {
    const tenant = await ctx.resolveApiKey(credential);
    if (tenant) return { kind: 'pbx', tenant };
    throw new AppError('unauthenticated', 'The API key is not valid.');
  }
  throw new AppError(
    'unauthenticated',
    allowApiKey
      ? 'Send a Firebase ID token or an API key: Authorization: Bearer <token>.'
      : 'Sign in: send the Firebase ID token as Authorization: Bearer <token>.',
  );
}

/** The signed-in app user; 401 otherwise. */
export async function requireUser(req: ApiRequest, ctx: ApiContext): Promise<string> {
  const caller = await identify(req, ctx, false);
  return (caller as { uid: string }).uid;
}

/**
 * The tenant in which `uid` is a member of `extension`: the one named, or the
 * only one that has such a member. 403 when the user is not a member.
 */
export async function memberTenant(
  ctx: ApiContext,
  uid: string,
  extension: string,
  tenant?: string,
): Promise<string> {
  if (tenant !== undefined) {
    if (await ctx.members.isMember(tenant, extension, uid)) return tenant;
  } else {
    const tenants = (await ctx.members.membershipsOf(uid))
      .filter((m) => m.extension === extension)
      .map((m) => m.tenant);
    if (tenants.length === 1) return tenants[0] ?? '';
    if (tenants.length > 1) {
      throw new AppError(
        'invalid_argument',
        `tenant: is required (extension ${extension} exists in several tenants)`,
        { tenant: `is required (extension ${extension} exists in several tenants)` },
      );
    }
  }
  throw new AppError('permission_denied', `You are not a member of extension ${extension}.`);
}

/**
 * The tenant a user's request about a call or device is about: the one named, else the only
 * tenant the user belongs to (none: an empty list). A user of several tenants must name one: a
 * call or device id is only unique within a tenant, and guessing would let another tenant's
 * look-alike take the request.
 */
export async function candidateTenants(
  ctx: ApiContext,
  uid: string,
  hint?: string,
): Promise<string[]> {
  if (hint) return [hint];
  const tenants = [...new Set((await ctx.members.membershipsOf(uid)).map((m) => m.tenant))];
  if (tenants.length > 1) {
    throw new AppError(
      'invalid_argument',
      'tenant: is required (you are a member in several tenants; send the `tenant` of the push)',
      { tenant: 'is required (you are a member in several tenants)' },
    );
  }
  return tenants;
}
