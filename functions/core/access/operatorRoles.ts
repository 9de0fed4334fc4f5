import { AppError } from '../errors';

/**
 * Operators: people who watch and steer tenants through the console. An operator holds one
 * role per tenant; the API and the security rules both read it from operators/{uid}, so the
 * page never decides what anyone may do.
 */
export type OperatorRole = 'viewer' | 'admin';
export const OPERATOR_ROLES: readonly OperatorRole[] = ['viewer', 'admin'];

const RANK: Record<OperatorRole, number> = { viewer: 1, admin: 2 };

/** Whether a role (or none) may do what `needed` may. */
export function roleAllows(role: OperatorRole | null, needed: OperatorRole): boolean {
  return role !== null && RANK[role] >= RANK[needed];
}

/** 403 unless `role` is at least `needed` in `tenant`; an operator of no role learns nothing more. */
export function requireRole(
  role: OperatorRole | null,
  needed: OperatorRole,
  tenant: string,
): OperatorRole {
  if (role === null) {
    throw new AppError('permission_denied', `You are not an operator of tenant ${tenant}.`);
  }
  if (!roleAllows(role, needed)) {
    throw new AppError(
      'permission_denied',
      `This needs the ${needed} role in tenant ${tenant}; you are a ${role}.`,
    );
  }
  return role;
}
