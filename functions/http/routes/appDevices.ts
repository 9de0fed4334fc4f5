import { z } from 'zod';
import { defaultDeviceCaps } from '../../core/devices/deviceAccess';
import { registerDevice } from '../../core/devices/registerDevice';
import { AppError } from '../../core/errors';
import { deviceIdSchema, extensionSchema, tenantSchema } from '../../core/schemas';
import { validate } from '../../core/validate';
import { parseBody } from '../body';
import { parseRegistration, vetRegistration, webPushAnswer } from '../registration';
import { candidateTenants, memberTenant, requireUser } from '../identity';
import type { ApiContext, RouteHandler } from '../types';

const params = z.object({ device_id: deviceIdSchema });
const target = z.object({ extension: extensionSchema, tenant: tenantSchema.optional() });

/**
 * PUT /v1/app/devices/{device_id}: the signed-in app registers itself for one of
 * its extensions. The device id must be new or the user's own (deviceAccess.ts).
 */
export const putAppDevice: RouteHandler = async (req, rawParams, ctx) => {
  const uid = await requireUser(req, ctx);
  const { device_id } = validate(params, rawParams);
  const body = parseBody(req.body, req.headers['content-type']);
  const { extension, tenant: hint } = validate(target, body);
  const input = parseRegistration(body, ctx);
  const tenant = await memberTenant(ctx, uid, extension, hint);
  await vetRegistration(input, body, ctx);
  const { created, device } = await registerDevice(
    ctx.devices,
    tenant,
    extension,
    device_id,
    input,
    ctx.clock.now(),
    uid,
    defaultDeviceCaps(await ctx.tenant(tenant)),
  );
  return {
    status: created ? 201 : 200,
    body: {
      status: created ? 'created' : 'updated',
      tenant,
      ...device,
      ...webPushAnswer(input, ctx),
    },
  };
};

/** The tenant holding `deviceId` owned by `uid`, among the user's tenants. */
async function ownedDeviceTenant(ctx: ApiContext, uid: string, deviceId: string, hint?: string) {
  const tenants = await candidateTenants(ctx, uid, hint);
  for (const tenant of tenants) {
    const device = await ctx.devices.get(tenant, deviceId);
    if (device?.ownerUid === uid) return { tenant, device };
  }
  throw new AppError('not_found', `You have no device ${deviceId}.`);
}

/** DELETE /v1/app/devices/{device_id}: the app unregisters itself (e.g. on sign-out). */
export const deleteAppDevice: RouteHandler = async (req, rawParams, ctx) => {
  const uid = await requireUser(req, ctx);
  const { device_id } = validate(params, rawParams);
  const hint = validate(
    z.object({ tenant: tenantSchema.optional() }),
    Object.fromEntries(req.query),
  ).tenant;
  const { tenant, device } = await ownedDeviceTenant(ctx, uid, device_id, hint);
  // The store checks ownership and membership again in its transaction (deviceAccess.ts).
  if (!(await ctx.devices.remove(tenant, device.extension, device_id, uid))) {
    throw new AppError('not_found', `You have no device ${device_id}.`);
  }
  return { status: 200, body: { status: 'deleted', device_id } };
};
