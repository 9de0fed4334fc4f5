import type { z } from 'zod';
import { requireRole, type OperatorRole } from '../core/access/operatorRoles';
import { validate } from '../core/validate';
import { requireUser } from './identity';
import type { ApiContext, ApiRequest } from './types';

/**
 * The signed-in operator of the tenant the path names, holding at least `needed` there: 401
 * without a valid ID token (before anything of the request is parsed), 400 for a bad path, 403
 * without the role. Read on every request (one document), so a revoked role stops at once.
 */
export async function requireOperator<T extends { tenant: string }>(
  req: ApiRequest,
  ctx: ApiContext,
  schema: z.ZodType<T>,
  params: Record<string, string>,
  needed: OperatorRole,
): Promise<{ uid: string; role: OperatorRole; params: T }> {
  const uid = await requireUser(req, ctx);
  const parsed = validate(schema, params);
  const role = requireRole(await ctx.operations.roleOf(uid, parsed.tenant), needed, parsed.tenant);
  return { uid, role, params: parsed };
}
