import { z } from 'zod';
import {
  hashPairingCode,
  newPairingCode,
  pairUri,
  PAIRING_TTL_MS,
  redeemPairingCode,
} from '../../core/access/pairing';
import { extensionSchema, tenantSchema } from '../../core/schemas';
import { validate } from '../../core/validate';
import { requireTenant } from '../apiKey';
import { validBody } from '../body';
import { requireUser } from '../identity';
import type { ApiContext, ResponseBody, RouteHandler } from '../types';

/** Stores a new one-time pairing code for the extension; the answer holds it in the clear. */
export async function issuePairingCode(
  ctx: ApiContext,
  tenant: string,
  ext: string,
): Promise<ResponseBody> {
  const code = newPairingCode();
  const expiresAt = ctx.clock.now() + PAIRING_TTL_MS;
  await ctx.pairing.create(hashPairingCode(code), { tenant, extension: ext, expiresAt });
  return {
    code,
    extension: ext,
    tenant,
    expires_at: new Date(expiresAt).toISOString(),
    pair_uri: pairUri(code, tenant, ext),
  };
}

/** POST /v1/extensions/{ext}/pairing-codes: a one-time code the app redeems (shown as a QR code). */
export const postPairingCode: RouteHandler = async (req, params, ctx) => {
  const tenant = await requireTenant(req, ctx);
  const { ext } = validate(z.object({ ext: extensionSchema }), params);
  return { status: 201, body: await issuePairingCode(ctx, tenant.id, ext) };
};

const pairBody = z
  .object({
    code: z
      .string()
      .max(32, 'is not a pairing code')
      .regex(/^[A-Za-z0-9\s-]+$/, 'is not a pairing code'),
    // From the pair URI: wrong codes are then counted against that extension too.
    tenant: tenantSchema.optional(),
    extension: extensionSchema.optional(),
  })
  .superRefine((body, ctx) => {
    if ((body.tenant === undefined) !== (body.extension === undefined)) {
      const [missing, given] =
        body.tenant === undefined ? ['tenant', 'extension'] : ['extension', 'tenant'];
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: `is required with ${given} (send both, from the pair URI)`,
      });
    }
  });

/** POST /v1/app/pair: the signed-in app redeems a code and becomes a member of its extension. */
export const postPair: RouteHandler = async (req, _params, ctx) => {
  const uid = await requireUser(req, ctx);
  const { code, tenant, extension } = validBody(pairBody, req);
  const target =
    tenant !== undefined && extension !== undefined ? { tenant, extension } : undefined;
  const paired = await redeemPairingCode(ctx, uid, code, target, ctx.clock.now(), (err) => {
    ctx.reportError(err);
  });
  return {
    status: 200,
    body: { status: 'paired', tenant: paired.tenant, extension: paired.extension, uid },
  };
};
