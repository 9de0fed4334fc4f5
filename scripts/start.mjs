// `npm start`: the local stack. Firestore, Auth and Functions emulators for
// project demo-callwake, the default tenant seeded, then every endpoint with a
// ready-to-paste curl line. Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ID, emulatorEnv } from './emulators.mjs';
import { ensureLocalSecrets } from './local-secrets.mjs';
import { emulatorArgs, requireDeployNode } from './runtime.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
requireDeployNode('npm start');
const BASE = `http://127.0.0.1:5001/${PROJECT_ID}/us-central1/api`;
const { PBX_API_KEY: key, VAPID_KEY: vapidKey } = ensureLocalSecrets(root);
/** The local VAPID key's public half, as browsers take it (the uncompressed point, base64url). */
const { x, y } = createPrivateKey(vapidKey).export({ format: 'jwk' });
const vapidPublicKey = Buffer.concat([
  Buffer.from([4]),
  Buffer.from(x, 'base64url'),
  Buffer.from(y, 'base64url'),
]).toString('base64url');

const child = spawn(
  process.execPath,
  emulatorArgs('emulators:start', { only: 'firestore,functions,auth', project: PROJECT_ID }),
  { cwd: root, env: emulatorEnv(root), stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code) => process.exit(code ?? 0));

async function waitForApi(deadline) {
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${BASE}/v1/health`);
      if (res.ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

async function seedDefaultTenant() {
  process.env.FIRESTORE_EMULATOR_HOST = '127.0.0.1:8080';
  const { initializeApp } = await import('firebase-admin/app');
  const { getFirestore } = await import('firebase-admin/firestore');
  const db = getFirestore(initializeApp({ projectId: PROJECT_ID }, 'seed'));
  await db
    .doc('tenants/default')
    .set({ name: 'Default tenant', seededAt: Date.now() }, { merge: true });
}

if (!(await waitForApi(Date.now() + 120_000))) {
  console.error('The API did not come up within 2 minutes; see the emulator output above.');
  child.kill('SIGINT');
} else {
  await seedDefaultTenant();
  const auth = `-H 'Authorization: Bearer ${key}'`;
  console.log(`
callwake is running (push mode: outbox, pushes are stored in the pushOutbox collection).

  Base URL     ${BASE}
  PBX API key  ${key}   (from .secret.local; set CALLWAKE_API_KEY to choose your own)
  VAPID key    ${vapidPublicKey}   (Web Push: browsers subscribe with it)

  # health
  curl -s ${BASE}/v1/health
  # register an Android device for extension 1001
  curl -s -X PUT ${auth} ${BASE}/v1/extensions/1001/devices/pixel-1 -d platform=android -d fcm_token=demo-fcm-token-0123456789 -d app_id=com.example.sip_phone
  # register an iOS device (PushKit token) for extension 1001
  curl -s -X PUT ${auth} ${BASE}/v1/extensions/1001/devices/iphone-1 -d platform=ios -d voip_token=${'ab'.repeat(32)} -d app_id=com.example.sipPhone -d apns_env=sandbox
  # register a Huawei phone (HMS Push Kit token) for extension 1001
  curl -s -X PUT ${auth} ${BASE}/v1/extensions/1001/devices/mate-1 -d platform=android -d hms_token=demo-hms-token-0123456789
  # the VAPID public key browsers subscribe with (Web Push), then register with their subscription
  curl -s ${auth} ${BASE}/v1/webpush/public-key
  # list the extension's devices (tokens masked)
  curl -s ${auth} ${BASE}/v1/extensions/1001/devices
  # an incoming call, as Asterisk's CURL() posts it
  curl -s ${auth} ${BASE}/v1/calls -d call_id=1700000000.1 -d to=1001 -d from=5551234 -d from_name=Alice
  # the call's state (add -H 'Accept: application/json' for JSON)
  curl -s ${auth} ${BASE}/v1/calls/1700000000.1
  # long-poll: hold until the call is answered or ends (at most 25 s)
  curl -s ${auth} '${BASE}/v1/calls/1700000000.1?wait=25'
  # the caller hung up: stop the ringing everywhere
  curl -s ${auth} ${BASE}/v1/calls/1700000000.1/cancel -d reason=hangup
  # the call's timeline, per device (JSON)
  curl -s ${auth} -H 'Accept: application/json' ${BASE}/v1/calls/1700000000.1
  # a pairing code for the app's QR scanner
  curl -s -X POST ${auth} ${BASE}/v1/extensions/1001/pairing-codes
  # make a Firebase Auth user (uid from the Auth emulator) a member of extension 1001
  curl -s -X PUT ${auth} ${BASE}/v1/extensions/1001/members/<uid>
  # unregister a device
  curl -s -X DELETE ${auth} ${BASE}/v1/extensions/1001/devices/pixel-1

  App routes (/v1/app/...) take the app user's Firebase ID token instead of the API key; see README.md.

Firestore emulator: 127.0.0.1:8080  Auth emulator: 127.0.0.1:9099  Press Ctrl-C to stop.
`);
}
