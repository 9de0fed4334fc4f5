import { connect as tcpConnect } from 'node:net';
import { EMULATOR_PROJECT } from '../config';
import { tenantSchema } from '../core/schemas';
import { firestore } from '../store/firestore';
import { DEFAULT_TENANT } from '../store/tenantDirectory';
import { tenantRecord } from '../store/tenantRecords';
import type { Tenant } from '../core/ports';
import { checked, type CliContext } from './command';
import { CliError, UsageError } from './errors';

const DEFAULT_EMULATOR_HOST = '127.0.0.1:8080';
const DEFAULT_AUTH_EMULATOR_HOST = '127.0.0.1:9099';
const PROBE_TIMEOUT_MS = 2_000;

/** Resolves once something listens at host:port, or fails with what to do about it. */
async function requireEmulator(hostPort: string): Promise<void> {
  const colon = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, colon).replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(hostPort.slice(colon + 1));
  const up = await new Promise<boolean>((resolve) => {
    const socket = tcpConnect({ host, port, timeout: PROBE_TIMEOUT_MS });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => {
      done(true);
    });
    socket.once('timeout', () => {
      done(false);
    });
    socket.once('error', () => {
      done(false);
    });
  });
  if (!up) {
    throw new CliError(
      `No Firestore emulator answers at ${hostPort}. Start the local stack with \`npm start\`, or pass --project <id> to work on a real project.`,
    );
  }
}

/**
 * Points firebase-admin at the emulator (the default, and any `demo-*`
 * project) or at a real project through application default credentials.
 */
export async function connect(project: string | undefined): Promise<CliContext> {
  const id = project ?? EMULATOR_PROJECT;
  if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(id)) {
    throw new UsageError(`"${id}" is not a Firebase project id.`);
  }
  const emulator = id.startsWith('demo-');
  process.env.GCLOUD_PROJECT = id;
  process.env.GOOGLE_CLOUD_PROJECT = id;
  if (emulator) {
    const configured = process.env.FIRESTORE_EMULATOR_HOST ?? '';
    const host = configured === '' ? DEFAULT_EMULATOR_HOST : configured;
    process.env.FIRESTORE_EMULATOR_HOST = host;
    // `operators grant` looks users up by email in the Auth emulator.
    process.env.FIREBASE_AUTH_EMULATOR_HOST ??= DEFAULT_AUTH_EMULATOR_HOST;
    // config.ts reads it: PUSH_MODE "auto" then means the outbox, as for the emulated functions.
    process.env.FUNCTIONS_EMULATOR = 'true';
    // google-gax asks the GCE metadata server for a universe domain on every channel, and
    // prints a warning where something else answers; the emulator needs no metadata.
    process.env.METADATA_SERVER_DETECTION ??= 'none';
    await requireEmulator(host);
  } else {
    if (process.env.FIRESTORE_EMULATOR_HOST) {
      process.stderr.write(
        `callwake: ignoring FIRESTORE_EMULATOR_HOST: --project ${id} is a real project.\n`,
      );
    }
    delete process.env.FIRESTORE_EMULATOR_HOST;
    delete process.env.FIREBASE_AUTH_EMULATOR_HOST;
    delete process.env.FUNCTIONS_EMULATOR;
  }
  return { db: await firestore(), project: id, emulator };
}

/**
 * The tenant named on the command line; an unknown one is an error. The
 * default tenant (the PBX_API_KEY secret's) exists without a document.
 */
export async function existingTenant(ctx: CliContext, id: string): Promise<Tenant> {
  checked(tenantSchema, 'tenant', id);
  const doc = await tenantRecord(ctx.db, id);
  if (!doc && id !== DEFAULT_TENANT) {
    throw new CliError(
      `No tenant "${id}" exists${ctx.emulator ? ' on the emulator' : ` in project ${ctx.project}`}: \`callwake tenants list\` shows the tenants, \`callwake tenants create ${id}\` makes it.`,
    );
  }
  return { id, ...(doc?.pushMode ? { pushMode: doc.pushMode } : {}) };
}
