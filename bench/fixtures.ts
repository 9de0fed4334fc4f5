/**
 * What every phase needs on the emulators: a tenant of its own, pools of extensions with
 * registered devices, unique call ids, and the PBX's incoming-call request.
 */
import { randomBytes } from 'node:crypto';
import { initializeApp } from 'firebase-admin/app';
import { getFirestore, type Firestore } from 'firebase-admin/firestore';
import { registerDevice } from '../functions/core/devices/registerDevice';
import { deviceRegistrationSchema } from '../functions/core/schemas';
import { validate } from '../functions/core/validate';
import { FirestoreDeviceStore } from '../functions/store/deviceStore';
import { paths } from '../functions/store/firestore';
import { parseVapidKey } from '../functions/push/vapidKey';
import {
  createTenant as createTestTenant,
  localConfig,
  PROJECT_ID,
  type TestTenant,
} from '../test/support/emulator';
import type { FakeWebPush } from '../test/support/fakeWebPush';
import { api, type Reply } from '../test/support/http';
import { fcmToken, hmsToken, voipToken } from '../test/support/ids';
import { sleep } from './stats';

export type { TestTenant };

/**
 * A tenant of its own for a phase, whose tenant-wide limits (docs/security.md) are well above
 * what the bench sends: the bench measures the ring path, not the limits (the flood check in
 * test/security/flood.test.ts does that).
 */
export const createTenant = (pushMode: 'live' | 'outbox') =>
  createTestTenant(pushMode, {
    limits: { calls_per_second: 10_000, calls_in_flight: 100_000, long_polls: 100_000 },
  });

/** A device of the bench: `web` is a browser (Web Push), `huawei` an Android phone on HMS. */
export type Platform = 'android' | 'ios' | 'web' | 'huawei';

/** The ten devices of a busy extension: five Android phones and five iPhones. */
export const TEN_DEVICES: Platform[] = [
  ...Array<Platform>(5).fill('android'),
  ...Array<Platform>(5).fill('ios'),
];

/**
 * The api function admits a limited number of distinct calls per extension per minute
 * (CALLS_PER_EXTENSION_PER_MINUTE); phases spread their calls over pools of extensions so
 * no extension gets more than this many calls in a whole run.
 */
export const CALLS_PER_EXTENSION_BUDGET = 10;

const clients = new Map<string, Firestore>();

/** A firebase-admin Firestore client set up as functions/store/firestore.ts sets up its own. */
export function adminClient(name: string): Firestore {
  let db = clients.get(name);
  if (!db) {
    db = getFirestore(initializeApp({ projectId: PROJECT_ID }, name));
    db.settings({ ignoreUndefinedProperties: true });
    clients.set(name, db);
  }
  return db;
}

let vapidPublicKey: string | undefined;

/**
 * A device registration of `platform`; a browser's subscription is made at the fake push
 * service, for the local stack's VAPID key, as the browser's PushManager would.
 */
export function deviceForm(platform: Platform, webPush?: FakeWebPush): Record<string, string> {
  switch (platform) {
    case 'android':
      return { platform, fcm_token: fcmToken() };
    case 'ios':
      return { platform, voip_token: voipToken(), app_id: 'com.example.callwake.bench' };
    case 'huawei':
      return { platform: 'android', hms_token: hmsToken() };
    case 'web': {
      if (!webPush) throw new Error('a browser needs the fake Web Push service');
      vapidPublicKey ??= parseVapidKey(localConfig().VAPID_KEY ?? '').publicKey;
      const { endpoint, keys } = webPush.subscribe({ applicationServerKey: vapidPublicKey });
      return {
        platform,
        webpush_endpoint: endpoint,
        webpush_p256dh: keys.p256dh,
        webpush_auth: keys.auth,
      };
    }
  }
}

/** Throws with the answer's text unless it has one of `statuses`. */
export function expectStatus(reply: Reply, statuses: number[], what: string): Reply {
  if (!statuses.includes(reply.status)) {
    throw new Error(`${what}: HTTP ${reply.status} ${reply.text.slice(0, 300)}`);
  }
  return reply;
}

/**
 * A setup request, retried while the API answers 503 (a cold worker may pass the database
 * deadline). Measured requests are never retried.
 */
export async function setup(what: string, request: () => Promise<Reply>): Promise<Reply> {
  for (let attempt = 1; ; attempt += 1) {
    const reply = await request();
    if (reply.status !== 503 || attempt === 5) return expectStatus(reply, [200, 201], what);
    await sleep(500 * attempt);
  }
}

/**
 * `count` extensions named `${prefix}${i}`, each with one device (`${ext}-${platform}-${j}`: device ids are unique per tenant) per entry
 * of `platforms`. Registered in this process through the code behind
 * PUT /v1/extensions/{ext}/devices/{id} (registerDevice and the Firestore device store), one
 * at a time: hundreds of HTTP registrations would cost the emulator's workers more time than
 * the measurements, and concurrent registrations in one tenant contend for its transaction
 * locks. Returns the extension numbers.
 */
export async function registerExtensions(
  tenant: TestTenant,
  prefix: string,
  count: number,
  platforms: Platform[],
  webPush?: FakeWebPush,
): Promise<string[]> {
  const store = new FirestoreDeviceStore(adminClient('bench-fixtures'));
  const extensions = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  for (const ext of extensions) {
    for (const [j, platform] of platforms.entries()) {
      const input = validate(deviceRegistrationSchema, deviceForm(platform, webPush));
      await registerDevice(store, tenant.id, ext, `${ext}-${platform}-${j}`, input, Date.now());
    }
  }
  return extensions;
}

/**
 * Fills `tenant`'s devices collection up to `total` documents with Android phones on extensions
 * no call rings (`${prefix}fill${i}`), so every scenario's tenant holds as many devices as the
 * others: the emulator's query cost grows with the collection. One filler is registered through
 * registerDevice; the rest are copies of its document with their own id, extension and token,
 * written in batches (hundreds of registrations per tenant would take minutes).
 */
export async function padDevices(tenant: TestTenant, prefix: string, total: number): Promise<void> {
  const db = adminClient('bench-fixtures');
  const col = db.collection(paths.devices(tenant.id));
  const have = (await col.count().get()).data().count;
  if (have >= total) return;
  const [first] = await registerExtensions(tenant, `${prefix}fill`, 1, ['android']);
  const template = (await col.where('extension', '==', first).get()).docs[0]?.data();
  if (!template) throw new Error(`no filler device registered in ${tenant.id}`);
  const missing = total - have - 1;
  for (let from = 0; from < missing; from += 400) {
    const batch = db.batch();
    for (let k = from; k < Math.min(missing, from + 400); k += 1) {
      const extension = `${prefix}fill${k + 1}`;
      const deviceId = `${extension}-android-0`;
      batch.set(col.doc(deviceId), { ...template, deviceId, extension, fcmToken: fcmToken() });
    }
    await batch.commit();
  }
  const now = (await col.count().get()).data().count;
  if (now !== total) throw new Error(`${tenant.id} holds ${now} devices, not ${total}`);
}

/** A PBX's incoming call, as Asterisk's CURL() posts it. */
export function postCall(
  tenant: TestTenant,
  callId: string,
  to: string,
  ringTimeout = 30,
): Promise<Reply> {
  return api('POST', '/v1/calls', {
    key: tenant.key,
    form: {
      call_id: callId,
      to,
      from: '5551234',
      from_name: 'Bench',
      ring_timeout: String(ringTimeout),
    },
  });
}

const RUN = randomBytes(3).toString('hex');
let calls = 0;

/** A call id no other call of any run has used. */
export const benchCallId = (phase: string) => `bench-${RUN}-${phase}-${++calls}`;
