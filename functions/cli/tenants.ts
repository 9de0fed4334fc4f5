import { tenantSchema } from '../core/schemas';
import type { PushMode } from '../core/ports';
import { createTenantWithKey, tenantsPage } from '../store/tenantRecords';
import { checked, emit, nextPageHint, paging, type Command, type Invocation } from './command';
import { CliError, UsageError } from './errors';
import { newKeyLines } from './keys';
import { table, when } from './output';

function pushModeOption(value: string | undefined): PushMode | undefined {
  if (value === undefined || value === 'live' || value === 'outbox') return value;
  throw new UsageError(`--push-mode must be live or outbox, not "${value}".`);
}

function nameOption(value: string | undefined, id: string): string {
  const name = (value ?? id).trim();
  // Control characters would corrupt the lists this name is printed in.
  if (name === '' || name.length > 100 || /\p{Cc}/u.test(name)) {
    throw new UsageError('--name must be 1 to 100 printable characters.');
  }
  return name;
}

/** tenants/{id} and its first API key, in one transaction: no tenant without a key. */
async function createTenant(inv: Invocation): Promise<void> {
  const id = checked(tenantSchema, 'tenant', inv.args.tenant ?? '');
  const pushMode = pushModeOption(inv.values['push-mode']);
  const doc = {
    name: nameOption(inv.values.name, id),
    createdAt: Date.now(),
    ...(pushMode ? { pushMode } : {}),
  };
  const created = await createTenantWithKey(inv.ctx.db, id, doc);
  if (!created) {
    throw new CliError(
      `Tenant ${id} already exists: \`callwake keys create ${id}\` gives it another key.`,
    );
  }
  emit(
    inv,
    () => ({
      tenant: id,
      name: doc.name,
      push_mode: pushMode ?? null,
      key: created.key,
      key_id: created.keyId,
      signing_key_id: created.signingKeyId,
      signing_secret: created.signingSecret,
    }),
    () => [
      `Created tenant ${id}${pushMode ? ` (push mode ${pushMode})` : ''}.`,
      '',
      ...newKeyLines(id, created),
    ],
  );
}

async function listTenants(inv: Invocation): Promise<void> {
  const { items, next } = await tenantsPage(inv.ctx.db, paging(inv.values, 50));
  emit(
    inv,
    () => ({
      tenants: items.map((t) => ({
        tenant: t.id,
        name: t.name ?? null,
        push_mode: t.pushMode ?? null,
        created_at: t.createdAt === undefined ? null : new Date(t.createdAt).toISOString(),
      })),
      ...(next ? { next_after: next } : {}),
    }),
    () => [
      ...(items.length === 0
        ? ['No tenants.']
        : table(
            ['TENANT', 'NAME', 'PUSH MODE', 'CREATED'],
            items.map((t) => [t.id, t.name, t.pushMode ?? 'default', when(t.createdAt)]),
          )),
      ...(next ? [nextPageHint(inv, next)] : []),
    ],
  );
}

export const tenantCommands: Command[] = [
  {
    name: 'tenants create',
    args: ['tenant'],
    options: ['name', 'push-mode'],
    summary: 'a tenant and its first API key (shown once)',
    run: createTenant,
  },
  {
    name: 'tenants list',
    args: [],
    options: ['limit', 'after'],
    summary: 'every tenant, by id',
    run: listTenants,
  },
];
