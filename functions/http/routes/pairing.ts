import { z } from 'zod';
import { AppError } from '../../core/errors';
import {
  hashPairingCode,
  newPairingCode,
  pairUri,
  PAIRING_FAILURES,
  PAIRING_TTL_MS,
} from '../../core/pairing';
import { extensionSchema } from '../../core/schemas';
import { validate } from '../../core/validate';
import { requireTenant } from '../apiKey';
import { validBody } from '../body';
import { requireUser } from '../identity';
import type { RouteHandler } from '../types';

/** POST /v1/extensions/{ext}/pairing-codes: a one-time code the app redeems (shown as a QR code). */
export const postPairingCode: RouteHandler = async (req, params, ctx) => {
  const tenant = await requireTenant(req, ctx);
  const { ext } = validate(z.object({ ext: extensionSchema }), params);
  const code = newPairingCode();
  const expiresAt = ctx.clock.now() + PAIRING_TTL_MS;
  await ctx.pairing.create(hashPairingCode(code), { tenant: tenant.id, extension: ext, expiresAt });
  return {
    status: 201,
    body: {
      code,
      extension: ext,
      tenant: tenant.id,
      expires_at: new Date(expiresAt).toISOString(),
      pair_uri: pairUri(code, tenant.id, ext),
    },
  };
};

const pairBody = z.object({
  code: z
    .string()
    .max(32, 'is not a pairing code')
    .regex(/^[A-Za-z0-9\s-]+$/, 'is not a pairing code'),
});

/** POST /v1/app/pair: the signed-in app redeems a code and becomes a member of its extension. */
export const postPair: RouteHandler = async (req, _params, ctx) => {
  const uid = await requireUser(req, ctx);
  const { code } = validBody(pairBody, req);
  const key = `pair:${uid}`;
  const now = ctx.clock.now();
  if (await ctx.rateLimiter.exceeded(key, PAIRING_FAILURES.limit, now)) {
    throw new AppError(
      'rate_limited',
      'Too many wrong pairing codes; wait 10 minutes and try again.',
    );
  }
  const result = await ctx.pairing.redeem(hashPairingCode(code), uid, now);
  if (typeof result === 'string') {
    await ctx.rateLimiter.allow(key, PAIRING_FAILURES.limit, PAIRING_FAILURES.windowMs, now);
    const why = { unknown: 'is not valid', expired: 'has expired', used: 'was already used' }[
      result
    ];
    throw new AppError('not_found', `This pairing code ${why}; ask for a new one.`);
  }
  await ctx.members.add(result.tenant, result.extension, uid, 'pairing');
  return {
    status: 200,
    body: { status: 'paired', tenant: result.tenant, extension: result.extension, uid },
  };
};
