import { parseDeviceRegistration } from '../core/devices/pushAddress';
import type { DeviceRegistration } from '../core/schemas';
import type { ApiContext } from './types';

/**
 * A device registration body as both registration routes (the PBX's and the app's) read it:
 * parsed (token fields or an RFC 8599 address), with every provider it needs deployed.
 */
export function parseRegistration(
  body: Record<string, unknown>,
  ctx: ApiContext,
): DeviceRegistration {
  return parseDeviceRegistration(body, ctx.pushDeployment);
}

/**
 * Checks where a registration's Web Push endpoint points (SSRF: core/devices/webPushEndpoint.ts), once
 * the caller is known to be allowed to register (a DNS lookup is not free), before anything is
 * stored.
 */
export async function vetRegistration(
  input: DeviceRegistration,
  body: Record<string, unknown>,
  ctx: ApiContext,
): Promise<void> {
  if (!input.webpush_endpoint) return;
  const field = body.pn_prid === undefined ? 'webpush_endpoint' : 'pn_prid';
  await ctx.vetWebPushEndpoint(input.webpush_endpoint, field);
}

/**
 * What a browser's registration answers beside the device: the VAPID public key its
 * subscription must be made with (an RFC 8599 proxy advertises it as `+sip.vapid`).
 */
export function webPushAnswer(input: DeviceRegistration, ctx: ApiContext) {
  const key = input.platform === 'web' ? ctx.vapidPublicKey() : null;
  return key === null ? {} : { vapid_public_key: key };
}
