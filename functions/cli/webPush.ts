import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseVapidKey } from '../push/vapidKey';
import { latestSecret } from '../store/secretManager';
import { emit, type Command, type Invocation } from './command';
import { CliError } from './errors';

/**
 * The local stack's VAPID_KEY: the environment's, else that of .secret.local in the project
 * folder `npx callwake` runs in (npm start makes it).
 */
function localVapidKey(): string {
  if (process.env.VAPID_KEY) return process.env.VAPID_KEY;
  let text = '';
  try {
    text = readFileSync(join(process.cwd(), '.secret.local'), 'utf8');
  } catch {
    throw new CliError(
      'No .secret.local: `npm start` (or `npm test`) generates the local VAPID key.',
    );
  }
  const line = /^VAPID_KEY=(.*)$/m.exec(text)?.[1] ?? '';
  if (line === '') throw new CliError('.secret.local holds no VAPID_KEY: run `npm start` once.');
  return line.startsWith('"') ? line.slice(1, -1).replace(/\\n/g, '\n') : line;
}

/** A deployed project's VAPID_KEY, read from Secret Manager with application default credentials. */
async function deployedVapidKey(project: string): Promise<string> {
  const read = await latestSecret(project, 'VAPID_KEY');
  if (read.kind === 'missing') {
    throw new CliError(
      `Project ${project} has no VAPID_KEY secret: set it (docs/deploy.md, Web Push) and deploy with webpush in PUSH_PROVIDERS.`,
    );
  }
  if (read.kind === 'refused') {
    throw new CliError(
      `Secret Manager answered ${read.status}: reading VAPID_KEY needs roles/secretmanager.secretAccessor.`,
    );
  }
  return read.value;
}

/** `webpush public-key`: what browsers subscribe with and Kamailio advertises as +sip.vapid. */
async function publicKey(inv: Invocation): Promise<void> {
  const secret = inv.ctx.emulator ? localVapidKey() : await deployedVapidKey(inv.ctx.project);
  let key: string;
  try {
    key = parseVapidKey(secret).publicKey;
  } catch (err) {
    throw new CliError(`VAPID_KEY cannot be read: ${err instanceof Error ? err.message : ''}.`);
  }
  emit(
    inv,
    () => ({ project: inv.ctx.project, public_key: key }),
    () => [
      `VAPID public key of ${inv.ctx.emulator ? 'the local stack' : `project ${inv.ctx.project}`} (browsers subscribe with it as applicationServerKey):`,
      '',
      `    ${key}`,
    ],
  );
}

export const webPushCommands: Command[] = [
  {
    name: 'webpush public-key',
    args: [],
    options: [],
    summary: 'print the VAPID public key browsers subscribe with (Web Push)',
    run: publicKey,
  },
];
