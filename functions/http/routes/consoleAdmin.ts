import { z } from 'zod';
import { AppError } from '../../core/errors';
import { deviceIdSchema, extensionSchema } from '../../core/schemas';
import { ringOneDevice, testCallId } from '../../core/ring/testRing';
import { requireOperator } from '../operator';
import type { RouteHandler } from '../types';
import { issuePairingCode } from './pairing';
import { tenantParams } from './consoleRead';

/** The console's routes that change something: an admin of the tenant. */

const deviceParams = tenantParams.extend({ device_id: deviceIdSchema });
const extensionParams = tenantParams.extend({ ext: extensionSchema });
const keyParams = tenantParams.extend({
  key_id: z.string().regex(/^[0-9a-f]{12}$/, 'must be a key id (12 hex digits)'),
});

/**
 * POST /v1/console/tenants/{tenant}/devices/{device_id}/test-ring: a real incoming call to that
 * device alone, through the ring path. The console follows the call's document to show what
 * the provider said and whether the phone acknowledged it.
 */
export const postTestRing: RouteHandler = async (req, params, ctx) => {
  const {
    params: { tenant, device_id },
  } = await requireOperator(req, ctx, deviceParams, params, 'admin');
  const device = await ctx.devices.get(tenant, device_id);
  if (!device) throw new AppError('not_found', `No device ${device_id} is registered.`);
  const callId = testCallId(ctx.clock.now());
  // Test rings count against the extension's call rate like the PBX's calls: no flood of rings.
  if (!ctx.callRate.allow(`${tenant}\u0000${device.extension}`, callId, ctx.clock.now())) {
    throw new AppError(
      'rate_limited',
      `Too many calls to extension ${device.extension}; try again in a minute.`,
    );
  }
  const answer = await ringOneDevice(tenant, device, callId, {
    calls: ctx.calls,
    devices: ctx.devices,
    senders: await ctx.sendersFor(await ctx.tenant(tenant)),
    endpoints: ctx.endpoints,
    sendBudgetMs: ctx.sendBudgetMs,
    clock: ctx.clock,
  });
  return {
    status: 201,
    body: {
      status: answer.status,
      call_id: answer.call_id,
      call_uuid: answer.call_uuid,
      device_id,
      pushed: answer.pushed,
    },
  };
};

/** POST /v1/console/tenants/{tenant}/extensions/{ext}/pairing-codes: a code to show as a QR code. */
export const postConsolePairingCode: RouteHandler = async (req, params, ctx) => {
  const {
    params: { tenant, ext },
  } = await requireOperator(req, ctx, extensionParams, params, 'admin');
  return { status: 201, body: await issuePairingCode(ctx, tenant, ext) };
};

/** GET /v1/console/tenants/{tenant}/keys: the tenant's API keys, by id (never the keys). */
export const getKeys: RouteHandler = async (req, params, ctx) => {
  const {
    params: { tenant },
  } = await requireOperator(req, ctx, tenantParams, params, 'admin');
  const keys = await ctx.operations.listKeys(tenant);
  return { status: 200, body: { tenant, keys: keys.map((k) => ({ ...k })) } };
};

/** POST /v1/console/tenants/{tenant}/keys: a new key, in this answer only; the others stay. */
export const postKey: RouteHandler = async (req, params, ctx) => {
  const {
    params: { tenant },
  } = await requireOperator(req, ctx, tenantParams, params, 'admin');
  const { key, key_id } = await ctx.operations.createKey(tenant);
  return { status: 201, body: { tenant, key, key_id } };
};

/** POST /v1/console/tenants/{tenant}/keys/{key_id}/revoke. */
export const postRevokeKey: RouteHandler = async (req, params, ctx) => {
  const {
    params: { tenant, key_id },
  } = await requireOperator(req, ctx, keyParams, params, 'admin');
  const revoked = await ctx.operations.revokeKey(tenant, key_id);
  if (revoked === null) throw new AppError('not_found', `Tenant ${tenant} has no key ${key_id}.`);
  return { status: 200, body: { tenant, key_id, status: 'revoked', already_revoked: !revoked } };
};
