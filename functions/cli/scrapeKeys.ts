import { keyIdOf } from '../store/apiKeyStore';
import { createScrapeKey, revokeScrapeKey, scrapeKeys } from '../store/scrapeKeyStore';
import { hashApiKey } from '../core/access/apiKeyHash';
import { emit, type Command, type Invocation } from './command';
import { CliError } from './errors';
import { table, when } from './output';

async function create(inv: Invocation): Promise<void> {
  const { key, keyId } = await createScrapeKey(inv.ctx.db);
  emit(
    inv,
    () => ({ key, key_id: keyId }),
    () => [
      'Scrape key for every tenant (shown this once; callwake stores only its SHA-256 hash):',
      '',
      `    ${key}`,
      '',
      `Key id ${keyId}. Prometheus sends it as a bearer credential to GET /v1/metrics, which then shows every tenant, labelled by tenant. It reads metrics only: no PBX route accepts it.`,
    ],
  );
}

async function list(inv: Invocation): Promise<void> {
  const keys = await scrapeKeys(inv.ctx.db);
  emit(
    inv,
    () => ({
      keys: keys.map((k) => ({
        key_id: keyIdOf(k.hash),
        created_at: new Date(k.createdAt).toISOString(),
        status: k.revoked ? 'revoked' : 'active',
      })),
    }),
    () =>
      keys.length === 0
        ? ['No scrape keys.']
        : table(
            ['KEY ID', 'CREATED', 'STATUS'],
            keys.map((k) => [keyIdOf(k.hash), when(k.createdAt), k.revoked ? 'revoked' : 'active']),
          ),
  );
}

async function revoke(inv: Invocation): Promise<void> {
  const given = inv.args.key ?? '';
  const keys = await scrapeKeys(inv.ctx.db);
  const match = keys.filter((k) =>
    /^[0-9a-f]{8,}$/.test(given) ? k.hash.startsWith(given) : k.hash === hashApiKey(given),
  );
  const [key] = match;
  if (!key || match.length > 1) {
    throw new CliError(
      match.length > 1
        ? `Several scrape keys start with ${given}; give more of the id.`
        : 'No scrape key matches: `callwake scrape-keys list` shows them.',
    );
  }
  await revokeScrapeKey(inv.ctx.db, key.hash);
  emit(
    inv,
    () => ({ key_id: keyIdOf(key.hash), revoked: true }),
    () => [
      `Revoked scrape key ${keyIdOf(key.hash)}. The API may accept it for up to 30 more seconds (it caches keys).`,
    ],
  );
}

export const scrapeKeyCommands: Command[] = [
  {
    name: 'scrape-keys create',
    args: [],
    options: [],
    summary: 'a deployment-wide key for GET /v1/metrics (every tenant, labelled)',
    run: create,
  },
  {
    name: 'scrape-keys list',
    args: [],
    options: [],
    summary: 'the scrape keys (ids only) and whether they are active',
    run: list,
  },
  {
    name: 'scrape-keys revoke',
    args: ['key'],
    options: [],
    summary: 'revoke a scrape key, given its id or the key itself',
    run: revoke,
  },
];
