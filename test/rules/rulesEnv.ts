import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  initializeTestEnvironment,
  type RulesTestContext,
  type RulesTestEnvironment,
} from '@firebase/rules-unit-testing';
import {
  collection,
  doc,
  serverTimestamp,
  setDoc,
  setLogLevel,
  type CollectionReference,
  type DocumentReference,
  type Firestore,
} from 'firebase/firestore';
import { PROJECT_ID as TESTS_PROJECT_ID } from '../support/project';

// Its own project: the emulated functions' triggers (project TESTS_PROJECT_ID) must not act on
// the documents these tests write, or a seeded answer would end the call under test.
export const PROJECT_ID = `${TESTS_PROJECT_ID}-rules`;
const RULES_PATH = join(__dirname, '..', '..', 'firestore.rules');

/** The users of every scene; memberships are per tenant, so the names never collide. */
export const ALICE = 'alice'; // member of 1001 and 2002
export const BOB = 'bob'; // member of 1001
export const CAROL = 'carol'; // member of 2002 only
export const DAVE = 'dave'; // no longer a member, but his old device still sits on 1001

/**
 * Loads firestore.rules into the running Firestore emulator. Throws, never skips, when the
 * emulator is not there: a rules suite that passes without rules proves nothing.
 */
async function startRulesEnv(): Promise<RulesTestEnvironment> {
  const address = process.env.FIRESTORE_EMULATOR_HOST;
  if (!address) {
    throw new Error(
      'FIRESTORE_EMULATOR_HOST is not set: the rules tests need the Firestore emulator; ' +
        'run them through `npm test`.',
    );
  }
  const split = address.lastIndexOf(':');
  return initializeTestEnvironment({
    projectId: PROJECT_ID,
    firestore: {
      rules: readFileSync(RULES_PATH, 'utf8'),
      host: address.slice(0, split),
      port: Number(address.slice(split + 1)),
    },
  });
}

/**
 * Registers the suite's hooks: load the rules before it, clean up after it. Returns the
 * environment's getter (it exists once the `before` hook has run).
 */
export function useRulesEnv(): () => RulesTestEnvironment {
  let env: RulesTestEnvironment | undefined;
  before(async () => {
    // The SDK logs every refused request; the assertions already say what matters.
    setLogLevel('silent');
    env = await startRulesEnv();
  });
  after(async () => {
    setLogLevel('info'); // the SDK's default, for the integration suites in the same run
    await env?.cleanup();
  });
  return () => {
    if (!env) throw new Error('the rules test environment is not running');
    return env;
  };
}

/** The modular SDK accepts the compat instance the test context hands out. */
function modular(context: RulesTestContext): Firestore {
  return context.firestore() as unknown as Firestore;
}

/** Firestore as the app signed in as `uid` sees it, or signed out when `uid` is null. */
export function app(env: RulesTestEnvironment, uid: string | null): Firestore {
  return modular(uid === null ? env.unauthenticatedContext() : env.authenticatedContext(uid));
}

/** A fresh id, so tests sharing the emulator (and the integration suite) never collide. */
export const randomId = (prefix: string) => `${prefix}-${randomBytes(6).toString('hex')}`;

/** Writes documents as the server would, past the rules. */
export async function seed(
  env: RulesTestEnvironment,
  docs: Record<string, Record<string, unknown>>,
): Promise<void> {
  await env.withSecurityRulesDisabled(async (context) => {
    const db = modular(context);
    await Promise.all(Object.entries(docs).map(([path, data]) => setDoc(doc(db, path), data)));
  });
}

export function deviceDoc(
  deviceId: string,
  extension: string,
  ownerUid: string | null,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const now = Date.now();
  return {
    deviceId,
    extension,
    platform: 'android',
    apnsEnv: 'production',
    fcmToken: `fcm_${randomBytes(20).toString('base64url')}`,
    lastSeenAt: now,
    createdAt: now,
    ...(ownerUid === null ? {} : { ownerUid }),
    ...extra,
  };
}

function callDoc(tenant: string, callUuid: string, extension: string, status: string) {
  const now = Date.now();
  return {
    tenant,
    callId: `${String(now)}.1`,
    callUuid,
    extension,
    from: '+15550100',
    sipCallId: randomId('sip'),
    status,
    ringTimeout: 30,
    createdAt: now,
    expiresAt: now + 30_000,
    devices: 2,
    pushed: 2,
    deliveries: {},
  };
}

/** Ids of everything a scene seeded under its own random tenant. */
export interface Scene {
  tenant: string;
  /** Calls on extension 1001: ringing, and already answered elsewhere. */
  ringing: string;
  ended: string;
  /** A call ringing on extension 2002. */
  other: string;
  /** Devices on 1001 owned by alice, bob, dave; one the API registered (no owner). */
  alicePhone: string;
  bobPhone: string;
  davePhone: string;
  apiPhone: string;
  /** Devices on 2002 owned by alice and carol. */
  aliceDesk: string;
  carolPhone: string;
}

/**
 * A fresh tenant: members alice and bob on 1001, alice and carol on 2002, their devices,
 * a ringing and an ended call on 1001, and a ringing call on 2002.
 */
export async function seedScene(env: RulesTestEnvironment): Promise<Scene> {
  const tenant = randomId('t');
  const scene: Scene = {
    tenant,
    ringing: randomId('call'),
    ended: randomId('call'),
    other: randomId('call'),
    alicePhone: 'alice-phone',
    bobPhone: 'bob-phone',
    davePhone: 'dave-phone',
    apiPhone: 'api-phone',
    aliceDesk: 'alice-desk',
    carolPhone: 'carol-phone',
  };
  const t = `tenants/${tenant}`;
  const member = (ext: string, uid: string) => ({
    [`${t}/extensions/${ext}/members/${uid}`]: {
      uid,
      tenant,
      extension: ext,
      createdAt: Date.now(),
      via: 'pairing',
    },
  });
  await seed(env, {
    [t]: { name: tenant },
    ...member('1001', ALICE),
    ...member('1001', BOB),
    ...member('2002', ALICE),
    ...member('2002', CAROL),
    [`${t}/devices/${scene.alicePhone}`]: deviceDoc(scene.alicePhone, '1001', ALICE),
    [`${t}/devices/${scene.bobPhone}`]: deviceDoc(scene.bobPhone, '1001', BOB),
    [`${t}/devices/${scene.davePhone}`]: deviceDoc(scene.davePhone, '1001', DAVE),
    [`${t}/devices/${scene.apiPhone}`]: deviceDoc(scene.apiPhone, '1001', null),
    [`${t}/devices/${scene.aliceDesk}`]: deviceDoc(scene.aliceDesk, '2002', ALICE),
    [`${t}/devices/${scene.carolPhone}`]: deviceDoc(scene.carolPhone, '2002', CAROL),
    [`${t}/calls/${scene.ringing}`]: callDoc(tenant, scene.ringing, '1001', 'ringing'),
    [`${t}/calls/${scene.ended}`]: {
      ...callDoc(tenant, scene.ended, '1001', 'accepted'),
      answeredBy: scene.bobPhone,
      endReason: 'answered_elsewhere',
    },
    [`${t}/calls/${scene.other}`]: callDoc(tenant, scene.other, '2002', 'ringing'),
  });
  return scene;
}

/** The answer the app writes, in exactly the documented shape. */
export const answerOf = (deviceId: string, uid: string, action = 'accept') => ({
  action,
  deviceId,
  uid,
  answeredAt: serverTimestamp(),
});

/** The delivery receipt the app writes, in exactly the documented shape. */
export const receiptOf = (deviceId: string, uid: string) => ({
  deviceId,
  uid,
  receivedAt: serverTimestamp(),
});

/** A copy of `data` without `keys`, to test documents that miss a field. */
export function without(data: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([key]) => !keys.includes(key)));
}

/** A suite over one scene per test (useScene). */
export interface SceneSuite {
  rulesEnv: () => RulesTestEnvironment;
  /** The running test's scene, filled in place before each test. */
  scene: Scene;
  /** A document under the scene's tenant, as `uid` sees it (signed out when null). */
  tenantDoc: (uid: string | null, path: string) => DocumentReference;
  /** A collection under the scene's tenant, as `uid` sees it (signed out when null). */
  tenantCollection: (uid: string | null, path: string) => CollectionReference;
}

/** Registers the rules environment's hooks (useRulesEnv) and seeds a fresh scene before each test. */
export function useScene(): SceneSuite {
  const rulesEnv = useRulesEnv();
  const scene = {} as Scene;
  beforeEach(async () => {
    Object.assign(scene, await seedScene(rulesEnv()));
  });
  return {
    rulesEnv,
    scene,
    tenantDoc: (uid, path) => doc(app(rulesEnv(), uid), `tenants/${scene.tenant}/${path}`),
    tenantCollection: (uid, path) =>
      collection(app(rulesEnv(), uid), `tenants/${scene.tenant}/${path}`),
  };
}
