import { OPERATOR_ROLES, type OperatorRole } from '../core/access/operatorRoles';
import { uidSchema } from '../core/schemas';
import { userByEmail } from '../store/authUsers';
import { FirestoreOperatorStore } from '../store/operatorStore';
import { checked, emit, type Command, type Invocation } from './command';
import { existingTenant } from './context';
import { CliError, UsageError } from './errors';
import { table } from './output';

/**
 * The Firebase Auth user an argument names: an email (looked up in Firebase Auth, so the
 * person has signed in or been added there first) or a uid.
 */
async function userOf(given: string): Promise<{ uid: string; email?: string }> {
  if (!given.includes('@')) return { uid: checked(uidSchema, 'user', given) };
  const user = await userByEmail(given);
  if (user) return user;
  throw new CliError(
    `No Firebase Auth user has the email ${given}: add the user first (Firebase console → Authentication → Add user), or give a uid.`,
  );
}

function roleOption(inv: Invocation): OperatorRole {
  const role = inv.values.role;
  if (role === undefined) throw new UsageError('--role is required: viewer or admin.');
  if (!OPERATOR_ROLES.includes(role as OperatorRole)) {
    throw new UsageError(`--role must be viewer or admin, not "${role}".`);
  }
  return role as OperatorRole;
}

async function grant(inv: Invocation): Promise<void> {
  const role = roleOption(inv);
  const tenant = (await existingTenant(inv.ctx, inv.args.tenant ?? '')).id;
  const user = await userOf(inv.args.user ?? '');
  const changed = await new FirestoreOperatorStore(inv.ctx.db).grant(
    user.uid,
    tenant,
    role,
    user.email,
  );
  const who = user.email ? `${user.email} (${user.uid})` : user.uid;
  emit(
    inv,
    () => ({ tenant, uid: user.uid, email: user.email ?? null, role, changed }),
    () => [
      changed
        ? `${who} is now ${role === 'admin' ? 'an admin' : 'a viewer'} of tenant ${tenant} in the console.`
        : `${who} was already ${role === 'admin' ? 'an admin' : 'a viewer'} of tenant ${tenant}.`,
    ],
  );
}

async function revoke(inv: Invocation): Promise<void> {
  const tenant = (await existingTenant(inv.ctx, inv.args.tenant ?? '')).id;
  const user = await userOf(inv.args.user ?? '');
  if (!(await new FirestoreOperatorStore(inv.ctx.db).revoke(user.uid, tenant))) {
    throw new CliError(`${inv.args.user ?? ''} is not an operator of tenant ${tenant}.`);
  }
  emit(
    inv,
    () => ({ tenant, uid: user.uid, revoked: true }),
    () => [
      `${inv.args.user ?? ''} is no longer an operator of tenant ${tenant}; it takes effect at once.`,
    ],
  );
}

async function list(inv: Invocation): Promise<void> {
  const tenant = (await existingTenant(inv.ctx, inv.args.tenant ?? '')).id;
  const operators = await new FirestoreOperatorStore(inv.ctx.db).listFor(tenant);
  emit(
    inv,
    () => ({ tenant, operators: operators.map((o) => ({ ...o, email: o.email ?? null })) }),
    () =>
      operators.length === 0
        ? [
            `Tenant ${tenant} has no operators: \`callwake operators grant ${tenant} <email> --role admin\` adds one.`,
          ]
        : table(
            ['UID', 'EMAIL', 'ROLE'],
            operators.map((o) => [o.uid, o.email, o.role]),
          ),
  );
}

export const operatorCommands: Command[] = [
  {
    name: 'operators grant',
    args: ['tenant', 'user'],
    options: ['role'],
    summary: 'give a Firebase Auth user (email or uid) a role in the tenant in the console',
    run: grant,
  },
  {
    name: 'operators revoke',
    args: ['tenant', 'user'],
    options: [],
    summary: "take an operator's role in the tenant away",
    run: revoke,
  },
  {
    name: 'operators list',
    args: ['tenant'],
    options: [],
    summary: "the tenant's operators and their roles",
    run: list,
  },
];
