import { randomBytes, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getApps, initializeApp } from 'firebase-admin/app';
import { getFirestore, type Firestore } from 'firebase-admin/firestore';
import { callUuid } from '../../functions/core/call/callUuid';
import type { TenantLimits } from '../../functions/core/limits';
import type { Call } from '../../functions/core/model';
import {
  signingKeyId as signingKeyIdOf,
  signingSecretFor,
} from '../../functions/core/access/pbxSignature';
import { PROJECT_ID } from './project';

export { PROJECT_ID };
export const ROOT = join(__dirname, '..', '..');
export const BASE_URL = `http://127.0.0.1:5001/${PROJECT_ID}/us-central1/api`;

/** Integration tests need the emulator suite: fail loudly, never skip into green. */
export function requireEmulators(): void {
  if (!process.env.FIRESTORE_EMULATOR_HOST || !process.env.FIREBASE_AUTH_EMULATOR_HOST) {
    throw new Error('The emulators are not running: run the integration tests through `npm test`.');
  }
}

export function db(): Firestore {
  requireEmulators();
  const app =
    getApps().find((a) => a.name === 'tests') ?? initializeApp({ projectId: PROJECT_ID }, 'tests');
  return getFirestore(app);
}

function readEnvFile(name: string): Record<string, string> {
  const text = readFileSync(join(ROOT, name), 'utf8');
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!match) continue;
    const raw = match[2]!;
    values[match[1]!] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\n/g, '\n') : raw;
  }
  return values;
}

/** Values the emulator's functions read from .secret.local. */
export function localSecrets(): Record<string, string> {
  return readEnvFile('.secret.local');
}

/**
 * What the emulator's functions are configured with: the params of .env and
 * .env.demo-callwake (the later wins, as in the CLI), and the secrets.
 */
export function localConfig(): Record<string, string> {
  return { ...readEnvFile('.env'), ...readEnvFile(`.env.${PROJECT_ID}`), ...localSecrets() };
}

export interface TestTenant {
  id: string;
  key: string;
  /** The PBX signing secret derived from `key`, stored as the CLI stores it. */
  signingSecret: string;
  signingKeyId: string;
}

export interface TenantOptions {
  /** The tenant's own numbers for the per-tenant limits (core/limits.ts). */
  limits?: TenantLimits;
}

/** A fresh tenant with its own API key, so tests never see each other's data. */
export async function createTenant(
  pushMode: 'live' | 'outbox' = 'live',
  options: TenantOptions = {},
): Promise<TestTenant> {
  const id = `t-${randomBytes(6).toString('hex')}`;
  const key = `cwk_test_${randomBytes(18).toString('base64url')}`;
  const hash = createHash('sha256').update(key).digest('hex');
  const signingSecret = signingSecretFor(key);
  const signingKeyId = signingKeyIdOf(signingSecret);
  await db()
    .doc(`tenants/${id}`)
    .set({ name: id, pushMode, ...(options.limits ? { limits: options.limits } : {}) });
  await db()
    .doc(`signingKeys/${signingKeyId}`)
    .set({ tenant: id, apiKey: hash, secret: signingSecret, createdAt: Date.now() });
  await db().doc(`apiKeys/${hash}`).set({ tenant: id, createdAt: Date.now(), signingKeyId });
  return { id, key, signingSecret, signingKeyId };
}

/** Where the call the PBX knows as `callId` is stored. */
export const callPath = (tenant: string, callId: string) =>
  `tenants/${tenant}/calls/${callUuid(tenant, callId)}`;

/** The stored call the PBX knows as `callId`. */
export async function storedCall(tenant: string, callId: string): Promise<Call> {
  return (await db().doc(callPath(tenant, callId)).get()).data() as Call;
}

const PUSH_ADDRESSES = new Set(['fcmToken', 'voipToken', 'hmsToken', 'webPush']);

/**
 * A device document with its push addresses replaced by a digest: still compared exactly, but
 * an assertion's diff never prints a token (the secret scan of the logs would rightly flag it).
 */
export function masked(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(data).map(([key, value]) => [
      key,
      PUSH_ADDRESSES.has(key)
        ? `sha256:${createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16)}`
        : value,
    ]),
  );
}

/** Whether no call of the tenant has a cancel job waiting or being sent (its trigger still to run). */
export async function cancelsDone(tenant: string): Promise<boolean> {
  const open = await db()
    .collection(`tenants/${tenant}/calls`)
    .where('cancel.state', 'in', ['pending', 'sending'])
    .get();
  return open.empty;
}

/** Every document under a tenant (devices and calls), to prove a request wrote nothing. */
export async function tenantSnapshot(tenant: string): Promise<string> {
  const [devices, calls] = await Promise.all([
    db().collection(`tenants/${tenant}/devices`).get(),
    db().collection(`tenants/${tenant}/calls`).get(),
  ]);
  return JSON.stringify(
    [...devices.docs, ...calls.docs].map((d) => [d.ref.path, masked(d.data())]),
  );
}
