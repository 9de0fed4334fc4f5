import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { DocumentReference } from 'firebase-admin/firestore';
import {
  makeMember,
  signedOutApp,
  signInAnonymousApp,
  signInApp,
  type TestApp,
} from '../support/app';
import { cancelsDone, createTenant, db, masked, type TestTenant } from '../support/emulator';
import { api, type CallOptions, type Reply } from '../support/http';
import { DRAIN_TIMEOUT_MS, settled } from '../support/wait';

/**
 * The cast of the attacker suites: two tenants; members of different extensions; a signed-in
 * user who is no member; an anonymous user; an app that never signed in; and each tenant's PBX.
 */
export interface World {
  a: TestTenant;
  b: TestTenant;
  /** Members of tenant a: m100 and victim on extension 100, m200 on 200. */
  m100: TestApp;
  victim: TestApp;
  m200: TestApp;
  /** A member of tenant b's extension 100 (another tenant's 100 is another extension). */
  mB: TestApp;
  outsider: TestApp;
  anonymous: TestApp;
  signedOut: TestApp;
  apps: TestApp[];
}

export async function makeWorld(): Promise<World> {
  const [a, b] = await Promise.all([createTenant('outbox'), createTenant('outbox')]);
  const [m100, victim, m200, mB, outsider, anonymous] = await Promise.all([
    signInApp(),
    signInApp(),
    signInApp(),
    signInApp(),
    signInApp(),
    signInAnonymousApp(),
  ]);
  const signedOut = signedOutApp();
  const bind = (tenant: TestTenant, ext: string, app: TestApp) => makeMember(tenant, ext, app);
  await Promise.all([
    bind(a, '100', m100),
    bind(a, '100', victim),
    bind(a, '200', m200),
    bind(b, '100', mB),
  ]);
  return {
    a,
    b,
    m100,
    victim,
    m200,
    mB,
    outsider,
    anonymous,
    signedOut,
    apps: [m100, victim, m200, mB, outsider, anonymous, signedOut],
  };
}

export async function closeWorld(world: World | undefined): Promise<void> {
  await Promise.all(world?.apps.map((app) => app.close()) ?? []);
}

/** A request as `app`, with its ID token. */
export async function asUser(
  app: TestApp,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Reply> {
  const headers = { ...options.headers, Authorization: `Bearer ${await app.idToken()}` };
  return api(method, path, { ...options, headers });
}

/** Asserts the rules refused what the app tried through the SDK. */
export async function refusedBySdk(what: string, attempt: Promise<unknown>): Promise<void> {
  await assert.rejects(
    attempt,
    (err: { code?: string }) => err.code === 'permission-denied',
    `${what}: the rules refuse it`,
  );
}

/** The device id the seed routes derive from a token (routes/seedCompat.ts). */
export const seedDeviceId = (token: string) =>
  `seed-${createHash('sha256').update(token).digest('hex').slice(0, 24)}`;

async function dumpTree(ref: DocumentReference, out: Record<string, unknown>): Promise<void> {
  const snap = await ref.get();
  if (snap.exists) out[ref.path] = masked(snap.data() ?? {});
  for (const collection of await ref.listCollections()) {
    // listDocuments() also names documents that only hold subcollections (extensions/{ext}).
    for (const child of await collection.listDocuments()) await dumpTree(child, out);
  }
}

/**
 * The tenant once nothing moves in it: two snapshots a moment apart agree and no cancel job is
 * still open. What an earlier step set going (a cancel push of an answered call, a fan-out's
 * record) lands before a test takes its "before", so that a later difference is the test's own
 * doing.
 */
export async function settledTenant(
  tenant: string,
  extraPaths: string[] = [],
): Promise<Record<string, unknown>> {
  return settled(
    () => wholeTenant(tenant, extraPaths),
    `tenant ${tenant}`,
    () => cancelsDone(tenant),
    DRAIN_TIMEOUT_MS,
  );
}

/**
 * Everything under a tenant (every document, at any depth: devices, calls and their answers and
 * receipts, members), its pairing codes, and any further documents named: the state an attack
 * must leave as it found it.
 */
export async function wholeTenant(
  tenant: string,
  extraPaths: string[] = [],
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  await dumpTree(db().doc(`tenants/${tenant}`), out);
  const codes = await db().collection('pairingCodes').where('tenant', '==', tenant).get();
  for (const code of codes.docs) out[code.ref.path] = code.data();
  for (const path of extraPaths) {
    const snap = await db().doc(path).get();
    if (snap.exists) out[path] = snap.data();
  }
  return out;
}
