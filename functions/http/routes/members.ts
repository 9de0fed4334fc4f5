import { z } from 'zod';
import { AppError } from '../../core/errors';
import { limitFor } from '../../core/limits';
import { extensionSchema, uidSchema } from '../../core/schemas';
import { validate } from '../../core/validate';
import { requireTenant } from '../apiKey';
import type { RouteHandler } from '../types';

const memberParams = z.object({ ext: extensionSchema, uid: uidSchema });

/**
 * PUT /v1/extensions/{ext}/members/{uid}: the PBX invites a Firebase user to the extension. The
 * user becomes a member only once it accepts (POST /v1/app/invitations/accept): a membership
 * lets its holder read the extension's calls and answer them, and makes every app request of
 * the user name a tenant, so no tenant may impose one.
 */
export const putMember: RouteHandler = async (req, params, ctx) => {
  const tenant = await requireTenant(req, ctx);
  const { ext, uid } = validate(memberParams, params);
  const max = limitFor('pending_invitations_per_extension', tenant);
  const outcome = await ctx.members.invite(tenant.id, ext, uid, ctx.clock.now(), max);
  return outcome === 'member'
    ? { status: 200, body: { status: 'exists', extension: ext, uid } }
    : { status: 202, body: { status: 'invited', extension: ext, uid } };
};

/**
 * DELETE /v1/extensions/{ext}/members/{uid}: ends the membership (with the devices the user
 * registered there) or withdraws the invitation.
 */
export const deleteMember: RouteHandler = async (req, params, ctx) => {
  const tenant = await requireTenant(req, ctx);
  const { ext, uid } = validate(memberParams, params);
  if (!(await ctx.members.remove(tenant.id, ext, uid))) {
    throw new AppError('not_found', `${uid} is neither a member of extension ${ext} nor invited.`);
  }
  return { status: 200, body: { status: 'deleted', extension: ext, uid } };
};
