import { defaultDeviceCaps } from '../../core/devices/deviceAccess';
import { deviceView, registerDevice, unregisterDevice } from '../../core/devices/registerDevice';
import { deviceIdSchema, extensionSchema } from '../../core/schemas';
import { validate } from '../../core/validate';
import { requireTenant } from '../apiKey';
import { parseBody } from '../body';
import { parseRegistration, vetRegistration, webPushAnswer } from '../registration';
import type { RouteHandler } from '../types';
import { z } from 'zod';

const deviceParams = z.object({ ext: extensionSchema, device_id: deviceIdSchema });
const extensionParams = z.object({ ext: extensionSchema });

/**
 * PUT (or POST) /v1/extensions/{ext}/devices/{device_id}: register or refresh
 * a device, by its tokens or by an RFC 8599 push address.
 */
export const putDevice: RouteHandler = async (req, params, ctx) => {
  const tenant = await requireTenant(req, ctx, true);
  const { ext, device_id } = validate(deviceParams, params);
  const body = parseBody(req.body, req.headers['content-type']);
  const input = parseRegistration(body, ctx);
  await vetRegistration(input, body, ctx);
  const { created, device } = await registerDevice(
    ctx.devices,
    tenant.id,
    ext,
    device_id,
    input,
    ctx.clock.now(),
    undefined,
    defaultDeviceCaps(tenant),
  );
  return {
    status: created ? 201 : 200,
    body: { status: created ? 'created' : 'updated', ...device, ...webPushAnswer(input, ctx) },
  };
};

/** DELETE /v1/extensions/{ext}/devices/{device_id} (or POST .../unregister): unregister. */
export const deleteDevice: RouteHandler = async (req, params, ctx) => {
  const tenant = await requireTenant(req, ctx, true);
  const { ext, device_id } = validate(deviceParams, params);
  await unregisterDevice(ctx.devices, tenant.id, ext, device_id);
  return { status: 200, body: { status: 'deleted', extension: ext, device_id } };
};

/** GET /v1/extensions/{ext}/devices: the extension's devices, tokens masked. */
export const listDevices: RouteHandler = async (req, params, ctx) => {
  const tenant = await requireTenant(req, ctx, true);
  const { ext } = validate(extensionParams, params);
  const devices = (await ctx.devices.listByExtension(tenant.id, ext)).map(deviceView);
  devices.sort((a, b) => a.device_id.localeCompare(b.device_id));
  return {
    status: 200,
    body: { extension: ext, count: devices.length, devices: devices.map((d) => ({ ...d })) },
  };
};
