import {
  createKey,
  keyIdOf,
  keysOf,
  revokeKey,
  storeSigningSecret,
  type KeyRecord,
} from '../store/apiKeyStore';
import type { Firestore } from '../store/firestore';
import { pageOf } from '../store/paging';
import { API_KEY_CACHE_MS, DEFAULT_TENANT } from '../store/tenantDirectory';
import { hashApiKey } from '../core/access/apiKeyHash';
import { emit, nextPageHint, paging, type Command, type Invocation } from './command';
import { existingTenant } from './context';
import { CliError } from './errors';
import { table, when } from './output';

const MIN_KEY_ID = 8;
// The API caches key lookups this long (TenantDirectory), so a revocation takes that long to bite.
const API_KEY_CACHE_SECONDS = API_KEY_CACHE_MS / 1000;

/** The lines that show a new key and its signing secret: the only time anyone sees them. */
export function newKeyLines(
  tenant: string,
  created: { key: string; keyId: string; signingSecret: string; signingKeyId: string },
): string[] {
  return [
    `API key for tenant ${tenant} (shown this once; callwake stores only its SHA-256 hash):`,
    '',
    `    ${created.key}`,
    '',
    `Key id ${created.keyId}. Administrators send it as \`Authorization: Bearer <key>\`.`,
    '',
    `PBX signing key id ${created.signingKeyId}, secret (for the PBX only: it signs each request, so`,
    'its logs never hold anything that authenticates; integrations/asterisk and integrations/kamailio):',
    '',
    `    ${created.signingSecret}`,
  ];
}

const revokedLines = (old: KeyRecord[]) =>
  old.length === 0
    ? []
    : [
        `Revoked ${old.length} older key${old.length === 1 ? '' : 's'}: ${old.map((k) => keyIdOf(k.hash)).join(', ')}. The API may accept ${old.length === 1 ? 'it' : 'them'} for up to ${API_KEY_CACHE_SECONDS} more seconds (it caches key lookups).`,
      ];

async function createKeyCommand(inv: Invocation, rotate: boolean): Promise<void> {
  const { db } = inv.ctx;
  const tenant = (await existingTenant(inv.ctx, inv.args.tenant ?? '')).id;
  const { revoked, ...created } = await createKey(db, tenant, rotate);
  emit(
    inv,
    () => ({
      tenant,
      key: created.key,
      key_id: created.keyId,
      signing_key_id: created.signingKeyId,
      signing_secret: created.signingSecret,
      revoked: revoked.map((k) => keyIdOf(k.hash)),
    }),
    () => [...newKeyLines(tenant, created), ...revokedLines(revoked)],
  );
}

/**
 * The PBX signing secret of an existing key (made before signing existed, or whose secret was
 * not kept), derived from the key itself and stored for the API to check signatures with.
 */
async function signingSecret(inv: Invocation): Promise<void> {
  const { db } = inv.ctx;
  const tenant = (await existingTenant(inv.ctx, inv.args.tenant ?? '')).id;
  const given = inv.args.key ?? '';
  const hash = hashApiKey(given);
  const key = (await keysOf(db, tenant)).find((k) => k.hash === hash);
  if (!key || key.revoked) {
    throw new CliError(
      `That is not an active API key of tenant ${tenant}: give the key itself (\`callwake keys create ${tenant}\` makes a new one).`,
    );
  }
  const signing = await storeSigningSecret(db, tenant, given, hash);
  emit(
    inv,
    () => ({
      tenant,
      key_id: keyIdOf(hash),
      signing_key_id: signing.id,
      signing_secret: signing.secret,
    }),
    () => [
      `PBX signing key id ${signing.id} of key ${keyIdOf(hash)}, tenant ${tenant}; secret:`,
      '',
      `    ${signing.secret}`,
      '',
      'It works while the key does: revoking or rotating the key ends it.',
    ],
  );
}

/** A key named by its id (a prefix of its hash) or by the key itself (a leaked key). */
async function findKey(db: Firestore, tenant: string, given: string): Promise<KeyRecord> {
  const keys = await keysOf(db, tenant);
  const isId = /^[0-9a-f]+$/.test(given) && given.length >= MIN_KEY_ID;
  const matches = isId
    ? keys.filter((k) => k.hash.startsWith(given))
    : keys.filter((k) => k.hash === hashApiKey(given));
  const [match] = matches;
  if (!match) {
    throw new CliError(
      `Tenant ${tenant} has no key ${isId ? `with id ${given}` : 'matching the one given'}: \`callwake keys list ${tenant}\` shows its keys.`,
    );
  }
  if (matches.length > 1) {
    throw new CliError(
      `Several keys of tenant ${tenant} start with ${given}; give more of the id.`,
    );
  }
  return match;
}

async function revokeKeyCommand(inv: Invocation): Promise<void> {
  const { db } = inv.ctx;
  const tenant = (await existingTenant(inv.ctx, inv.args.tenant ?? '')).id;
  const key = await findKey(db, tenant, inv.args.key ?? '');
  const keyId = keyIdOf(key.hash);
  await revokeKey(db, key);
  const left = (await keysOf(db, tenant)).filter((k) => !k.revoked).length;
  emit(
    inv,
    () => ({
      tenant,
      key_id: keyId,
      revoked: true,
      already_revoked: key.revoked === true,
      active_keys: left,
    }),
    () => [
      key.revoked
        ? `Key ${keyId} of tenant ${tenant} was already revoked.`
        : `Revoked key ${keyId} of tenant ${tenant}. The API may accept it for up to ${API_KEY_CACHE_SECONDS} more seconds (it caches key lookups).`,
      ...(left === 0
        ? [`Tenant ${tenant} has no active key left: \`callwake keys create ${tenant}\` makes one.`]
        : []),
    ],
  );
}

async function listKeys(inv: Invocation): Promise<void> {
  const tenant = (await existingTenant(inv.ctx, inv.args.tenant ?? '')).id;
  const keys = (await keysOf(inv.ctx.db, tenant)).map((k) => ({ ...k, id: keyIdOf(k.hash) }));
  // Few keys per tenant: page in memory, by id.
  const page = pageOf(
    keys.sort((a, b) => a.id.localeCompare(b.id)),
    (k) => k.id,
    paging(inv.values, 50),
  );
  const status = (k: KeyRecord) => (k.revoked ? 'revoked' : 'active');
  emit(
    inv,
    () => ({
      tenant,
      keys: page.items.map((k) => ({
        key_id: k.id,
        created_at: new Date(k.createdAt).toISOString(),
        status: status(k),
      })),
      ...(page.next ? { next_after: page.next } : {}),
    }),
    () => [
      ...(page.items.length === 0
        ? [`Tenant ${tenant} has no API keys in apiKeys/.`]
        : table(
            ['KEY ID', 'CREATED', 'STATUS'],
            page.items.map((k) => [k.id, when(k.createdAt), status(k)]),
          )),
      ...(tenant === DEFAULT_TENANT
        ? [
            "The deployment's PBX_API_KEY secret is a key of tenant default too (`firebase functions:secrets:set PBX_API_KEY` changes it).",
          ]
        : []),
      ...(page.next ? [nextPageHint(inv, page.next)] : []),
    ],
  );
}

export const keyCommands: Command[] = [
  {
    name: 'keys create',
    args: ['tenant'],
    options: [],
    summary: 'another API key for the tenant; its other keys keep working',
    run: (inv) => createKeyCommand(inv, false),
  },
  {
    name: 'keys rotate',
    args: ['tenant'],
    options: [],
    summary: 'a new API key for the tenant, revoking all its other keys',
    run: (inv) => createKeyCommand(inv, true),
  },
  {
    name: 'keys revoke',
    args: ['tenant', 'key'],
    options: [],
    summary: 'revoke a key, given its key id or the key itself',
    run: revokeKeyCommand,
  },
  {
    name: 'keys signing-secret',
    args: ['tenant', 'key'],
    options: [],
    summary: 'the PBX signing secret of an existing key (given the key itself), stored for the API',
    run: signingSecret,
  },
  {
    name: 'keys list',
    args: ['tenant'],
    options: ['limit', 'after'],
    summary: "the tenant's keys (ids only) and whether they are active",
    run: listKeys,
  },
];
