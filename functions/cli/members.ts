import { limitFor } from '../core/limits';
import { extensionSchema, uidSchema } from '../core/schemas';
import { FirestoreMemberStore } from '../store/memberStore';
import { TenantDirectory } from '../store/tenantDirectory';
import { checked, emit, nextPageHint, paging, type Command, type Invocation } from './command';
import { existingTenant } from './context';
import { CliError } from './errors';
import { table, when } from './output';

/** The tenant, extension and uid named on the command line, checked like the API checks them. */
async function target(inv: Invocation) {
  const tenant = (await existingTenant(inv.ctx, inv.args.tenant ?? '')).id;
  const extension = checked(extensionSchema, 'extension', inv.args.extension ?? '');
  const uid = inv.args.uid === undefined ? '' : checked(uidSchema, 'uid', inv.args.uid);
  return { tenant, extension, uid, members: new FirestoreMemberStore(inv.ctx.db) };
}

/**
 * Invites a Firebase Auth user to an extension, as PUT /v1/extensions/{ext}/members/{uid} does:
 * the user becomes a member once it accepts in the app (or redeems a pairing code).
 */
async function addMember(inv: Invocation): Promise<void> {
  const { tenant, extension, uid, members } = await target(inv);
  const settings = await new TenantDirectory(inv.ctx.db, () => '').tenant(tenant);
  const max = limitFor('pending_invitations_per_extension', settings);
  const outcome = await members.invite(tenant, extension, uid, Date.now(), max);
  emit(
    inv,
    () => ({ tenant, extension, uid, status: outcome === 'member' ? 'exists' : 'invited' }),
    () => [
      outcome === 'member'
        ? `${uid} was already a member of extension ${extension} of tenant ${tenant}.`
        : `${uid} is invited to extension ${extension} of tenant ${tenant}: it becomes a member once the user accepts in the app (POST /v1/app/invitations/accept), or pairs with a code (\`callwake pairing create\`).`,
    ],
  );
}

async function removeMember(inv: Invocation): Promise<void> {
  const { tenant, extension, uid, members } = await target(inv);
  if (!(await members.remove(tenant, extension, uid))) {
    throw new CliError(
      `${uid} is neither a member of extension ${extension} of tenant ${tenant} nor invited.`,
    );
  }
  emit(
    inv,
    () => ({ tenant, extension, uid, status: 'deleted' }),
    () => [
      `${uid} is no longer a member of (nor invited to) extension ${extension} of tenant ${tenant}; the devices it registered there are deleted.`,
    ],
  );
}

async function listMembers(inv: Invocation): Promise<void> {
  const { tenant, extension, members } = await target(inv);
  const page = await members.page(tenant, extension, paging(inv.values, 50));
  const { items } = page;
  emit(
    inv,
    () => ({
      tenant,
      extension,
      members: items.map((m) => ({
        uid: m.uid,
        via: m.via ?? null,
        created_at: m.createdAt === undefined ? null : new Date(m.createdAt).toISOString(),
      })),
      ...(page.next ? { next_after: page.next } : {}),
    }),
    () => [
      ...(items.length === 0
        ? [`Extension ${extension} of tenant ${tenant} has no members.`]
        : table(
            ['UID', 'VIA', 'ADDED'],
            items.map((m) => [m.uid, m.via, when(m.createdAt)]),
          )),
      ...(page.next ? [nextPageHint(inv, page.next)] : []),
    ],
  );
}

export const memberCommands: Command[] = [
  {
    name: 'members add',
    args: ['tenant', 'extension', 'uid'],
    options: [],
    summary: 'invite a Firebase Auth user to the extension (a member once it accepts)',
    run: addMember,
  },
  {
    name: 'members remove',
    args: ['tenant', 'extension', 'uid'],
    options: [],
    summary: 'remove a member from the extension',
    run: removeMember,
  },
  {
    name: 'members list',
    args: ['tenant', 'extension'],
    options: ['limit', 'after'],
    summary: "the extension's members",
    run: listMembers,
  },
];
