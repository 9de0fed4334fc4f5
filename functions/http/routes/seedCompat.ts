import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defaultDeviceCaps } from '../../core/devices/deviceAccess';
import { registerDevice } from '../../core/devices/registerDevice';
import { AppError } from '../../core/errors';
import { extensionSchema, fcmTokenSchema } from '../../core/schemas';
import { validBody } from '../body';
import { identify, memberTenant, type Caller } from '../identity';
import type { ApiContext, RouteHandler } from '../types';

/**
 * The registration calls of the seed guides, kept for apps already built
 * from them: same paths, same fields, `{success: true}` answers. They need
 * the same auth as the rest of the API (an API key, or the app's ID token).
 */

/** The seeds' apps are Android and iOS apps with an FCM token. */
const seedPlatformSchema = z.enum(['android', 'ios']);

/** Seed apps send no device id: derive a stable one from the token. */
const seedDeviceId = (token: string) =>
  `seed-${createHash('sha256').update(token).digest('hex').slice(0, 24)}`;

/** Who may register: a PBX (its tenant) or a signed-in member of the extension. */
async function tenantFor(ctx: ApiContext, caller: Caller, extension: string) {
  if (caller.kind === 'pbx') return { tenant: caller.tenant.id, settings: caller.tenant };
  const tenant = await memberTenant(ctx, caller.uid, extension);
  return { tenant, ownerUid: caller.uid, settings: await ctx.tenant(tenant) };
}

async function register(
  ctx: ApiContext,
  caller: Caller,
  extension: string,
  token: string,
  platform: 'android' | 'ios',
) {
  const { tenant, ownerUid, settings } = await tenantFor(ctx, caller, extension);
  // No apns_env: a seed app registers an FCM token, which FCM routes to the right APNs host
  // itself; saying "production" here would overwrite what a device's VoIP push has proven.
  const input = { platform, fcm_token: token };
  const { created, device } = await registerDevice(
    ctx.devices,
    tenant,
    extension,
    seedDeviceId(token),
    input,
    ctx.clock.now(),
    ownerUid,
    defaultDeviceCaps(settings),
  );
  return { status: created ? 201 : 200, body: { success: true, device_id: device.device_id } };
}

const pushTokenBody = z.object({
  user: extensionSchema,
  token: fcmTokenSchema,
  platform: seedPlatformSchema,
});

/** POST /api/register-push-token {user, token, platform}. */
export const registerPushToken: RouteHandler = async (req, _params, ctx) => {
  // Credentials first: an anonymous caller learns nothing about what the body should be.
  const caller = await identify(req, ctx, true);
  const { user, token, platform } = validBody(pushTokenBody, req);
  return register(ctx, caller, user, token, platform);
};

const fcmTokenBody = z.object({
  extension: extensionSchema,
  fcm_token: fcmTokenSchema,
  platform: seedPlatformSchema.default('android'),
});

/** POST /api/register-fcm-token {extension, fcm_token, platform}. */
export const registerFcmToken: RouteHandler = async (req, _params, ctx) => {
  const caller = await identify(req, ctx, true);
  const { extension, fcm_token, platform } = validBody(fcmTokenBody, req);
  return register(ctx, caller, extension, fcm_token, platform);
};

const unregisterBody = z.object({ extension: extensionSchema, fcm_token: fcmTokenSchema });

/** POST /api/unregister-fcm-token {extension, fcm_token}. */
export const unregisterFcmToken: RouteHandler = async (req, _params, ctx) => {
  const caller = await identify(req, ctx, true);
  const { extension, fcm_token } = validBody(unregisterBody, req);
  const { tenant, ownerUid } = await tenantFor(ctx, caller, extension);
  const device = (await ctx.devices.listByExtension(tenant, extension)).find(
    (d) => d.fcmToken === fcm_token,
  );
  // A member removes only its own device (deviceAccess.ts), never one of another user or the PBX.
  const removed =
    device !== undefined &&
    (ownerUid === undefined || device.ownerUid === ownerUid) &&
    (await ctx.devices.remove(tenant, extension, device.deviceId, ownerUid));
  if (!removed) {
    throw new AppError('not_found', `No device of extension ${extension} has that token.`);
  }
  return { status: 200, body: { success: true } };
};
