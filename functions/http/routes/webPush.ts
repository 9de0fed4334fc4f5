import { AppError } from '../../core/errors';
import { requireTenant } from '../apiKey';
import { requireUser } from '../identity';
import type { ApiContext, RouteHandler } from '../types';

/** The VAPID public key, or 404 when Web Push is not set up here. */
function publicKey(ctx: ApiContext): string {
  const key = ctx.pushDeployment.providers.has('webpush') ? ctx.vapidPublicKey() : null;
  if (key === null) {
    throw new AppError(
      'not_found',
      'Web Push is not set up in this deployment (PUSH_PROVIDERS, VAPID_KEY).',
    );
  }
  return key;
}

/**
 * GET (or POST) /v1/webpush/public-key: the VAPID public key an RFC 8599 proxy advertises as
 * `+sip.vapid`. Public by design (every push carries it), yet asked for with the PBX's key like
 * every PBX route.
 */
export const getWebPushKey: RouteHandler = async (req, _params, ctx) => {
  // Signed requests too: the Kamailio config asks for it with its signing secret, not a key.
  await requireTenant(req, ctx, true);
  return { status: 200, body: { public_key: publicKey(ctx) } };
};

/**
 * GET /v1/app/webpush/public-key: the key a browser subscribes with (`applicationServerKey`),
 * for a signed-in member of some extension, as every app route is.
 */
export const getAppWebPushKey: RouteHandler = async (req, _params, ctx) => {
  const uid = await requireUser(req, ctx);
  if ((await ctx.members.membershipsOf(uid)).length === 0) {
    throw new AppError('permission_denied', 'You are not a member of any extension.');
  }
  return { status: 200, body: { public_key: publicKey(ctx) } };
};
