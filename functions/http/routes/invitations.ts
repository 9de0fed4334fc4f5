import { z } from 'zod';
import { AppError } from '../../core/errors';
import { extensionSchema, tenantSchema } from '../../core/schemas';
import { validBody } from '../body';
import { requireUser } from '../identity';
import type { RouteHandler } from '../types';

const iso = (ms: number) => new Date(ms).toISOString();

/** GET /v1/app/invitations: the invitations waiting for the signed-in user, in every tenant. */
export const listInvitations: RouteHandler = async (req, _params, ctx) => {
  const uid = await requireUser(req, ctx);
  const invitations = await ctx.members.invitationsOf(uid, ctx.clock.now());
  invitations.sort((a, b) => a.createdAt - b.createdAt);
  return {
    status: 200,
    body: {
      count: invitations.length,
      invitations: invitations.map((inv) => ({
        tenant: inv.tenant,
        extension: inv.extension,
        invited_at: iso(inv.createdAt),
        expires_at: iso(inv.expiresAt),
      })),
    },
  };
};

const answerBody = z.object({ tenant: tenantSchema, extension: extensionSchema });

function answer(accept: boolean): RouteHandler {
  return async (req, _params, ctx) => {
    const uid = await requireUser(req, ctx);
    const { tenant, extension } = validBody(answerBody, req);
    const now = ctx.clock.now();
    if (!(await ctx.members.answerInvitation(tenant, extension, uid, accept, now))) {
      throw new AppError(
        'not_found',
        `No invitation to extension ${extension} of tenant ${tenant} is waiting for you.`,
      );
    }
    return {
      status: 200,
      body: { status: accept ? 'member' : 'declined', tenant, extension, uid },
    };
  };
}

/** POST /v1/app/invitations/accept: the user consents; it becomes a member of the extension. */
export const acceptInvitation = answer(true);

/** POST /v1/app/invitations/decline: the user refuses; the invitation is gone. */
export const declineInvitation = answer(false);
