import { AppError } from '../../core/errors';
import { identify } from '../identity';
import type { RouteHandler } from '../types';

/**
 * GET /v1/webpush/public-key: the VAPID public key a browser subscribes with
 * (`applicationServerKey`), and an RFC 8599 proxy advertises (`+sip.vapid`). Public by design
 * (every push carries it), yet asked for with a credential like every other route.
 */
export const getWebPushKey: RouteHandler = async (req, _params, ctx) => {
  await identify(req, ctx, true);
  const key = ctx.pushDeployment.providers.has('webpush') ? ctx.vapidPublicKey() : null;
  if (key === null) {
    throw new AppError(
      'not_found',
      'Web Push is not set up in this deployment (PUSH_PROVIDERS, VAPID_KEY).',
    );
  }
  return { status: 200, body: { public_key: key } };
};
