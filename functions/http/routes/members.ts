import { z } from 'zod';
import { AppError } from '../../core/errors';
import { extensionSchema, uidSchema } from '../../core/schemas';
import { validate } from '../../core/validate';
import { requireTenant } from '../apiKey';
import type { RouteHandler } from '../types';

const memberParams = z.object({ ext: extensionSchema, uid: uidSchema });

/** PUT /v1/extensions/{ext}/members/{uid}: the PBX binds a Firebase user to an extension. */
export const putMember: RouteHandler = async (req, params, ctx) => {
  const tenant = await requireTenant(req, ctx);
  const { ext, uid } = validate(memberParams, params);
  const added = await ctx.members.add(tenant.id, ext, uid, 'api');
  return {
    status: added ? 201 : 200,
    body: { status: added ? 'created' : 'exists', extension: ext, uid },
  };
};

/** DELETE /v1/extensions/{ext}/members/{uid}: also deletes the devices the user registered there. */
export const deleteMember: RouteHandler = async (req, params, ctx) => {
  const tenant = await requireTenant(req, ctx);
  const { ext, uid } = validate(memberParams, params);
  if (!(await ctx.members.remove(tenant.id, ext, uid))) {
    throw new AppError('not_found', `${uid} is not a member of extension ${ext}.`);
  }
  return { status: 200, body: { status: 'deleted', extension: ext, uid } };
};
