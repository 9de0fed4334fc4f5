// `npm start`: the local stack. Firestore, Auth, Functions, Pub/Sub, Cloud Tasks and Hosting
// emulators for project demo-callwake (PROJECT_ID), the scheduled functions run on their schedules, the
// default tenant seeded, then every endpoint with a ready-to-paste curl line. Ctrl-C stops
// everything and saves the emulators' data in .emulator-data/, which the next start loads
// (`npm start -- --clean` starts empty).
import { spawn, spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emulatorEnv } from './emulators.mjs';
import { writeLocalConfig } from './hosting-local.mjs';
import { WITH_CONSOLE, emulatorCommand } from './lib/emulatorCommand.mjs';
import { signalGroup } from './lib/processes.mjs';
import { PROJECT_ID } from './lib/projectId.mjs';
import { ensureLocalSecrets } from './local-secrets.mjs';
import { requireDeployNode } from './runtime.mjs';
import { runSchedules } from './schedules.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
requireDeployNode('npm start');
const built = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], {
  cwd: root,
  stdio: 'inherit',
});
if (built.status !== 0) process.exit(built.status ?? 1);
const BASE = `http://127.0.0.1:5001/${PROJECT_ID}/us-central1/api`;
const CONSOLE = 'http://127.0.0.1:5000';
const { PBX_API_KEY: key, VAPID_KEY: vapidKey } = ensureLocalSecrets(root);
/** The local VAPID key's public half, as browsers take it (the uncompressed point, base64url). */
const { x, y } = createPrivateKey(vapidKey).export({ format: 'jwk' });
const vapidPublicKey = Buffer.concat([
  Buffer.from([4]),
  Buffer.from(x, 'base64url'),
  Buffer.from(y, 'base64url'),
]).toString('base64url');
// CALLWAKE_DATA_DIR: another place for the data (the tests keep theirs apart).
const DATA = process.env.CALLWAKE_DATA_DIR ?? join(root, '.emulator-data');
const clean = process.argv.includes('--clean');
if (clean) rmSync(DATA, { recursive: true, force: true });
const saved = existsSync(join(DATA, 'firebase-export-metadata.json'));

const child = spawn(
  process.execPath,
  [
    ...emulatorCommand('emulators:start', { only: WITH_CONSOLE, config: writeLocalConfig(root) }),
    ...(saved ? ['--import', DATA] : []),
    '--export-on-exit',
    DATA,
  ],
  // Its own process group: a terminal's Ctrl-C reaches this script only, which passes it on once
  // (the CLI takes a second SIGINT as "exit now", without saving the data).
  { cwd: root, env: emulatorEnv(root), stdio: 'inherit', detached: true },
);
let stopSchedules = () => undefined;
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopSchedules();
    if (stopping) return;
    stopping = true;
    console.log('\nStopping the emulators and saving their data; this takes a few seconds.');
    child.kill('SIGINT');
  });
}
// This script gone by any other way: the emulators go with it.
process.on('exit', () => {
  if (child.exitCode === null) signalGroup(child, 'SIGKILL');
});
child.on('exit', (code) => process.exit(code ?? 0));

const answers = async (url) => {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false; // not up yet
  }
};

/**
 * Waits for the whole stack, not only the API: the deadline task's queue and the schedules'
 * topics are registered last, and the banner should come after the CLI's own table.
 */
async function waitForStack(deadline) {
  const ready = [
    `${BASE}/v1/health`,
    `http://127.0.0.1:8085/v1/projects/${PROJECT_ID}/topics/firebase-schedule-expireCalls`,
  ];
  while (Date.now() < deadline) {
    const queues = await fetch('http://127.0.0.1:9499/queueStats')
      .then((res) => (res.ok ? res.json() : {}))
      .catch(() => ({}));
    const queued = Object.keys(queues).some((key) => key.endsWith('-onCallDeadline'));
    if (queued && (await Promise.all(ready.map(answers))).every(Boolean)) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return true;
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

if (!(await waitForStack(Date.now() + 180_000))) {
  console.error('The stack did not come up within 3 minutes; see the emulator output above.');
  child.kill('SIGINT');
} else {
  await seedDefaultTenant();
  stopSchedules = runSchedules({
    root,
    functionsHost: '127.0.0.1:5001',
    project: PROJECT_ID,
    log: (line) => console.log(`[schedules] ${line}`),
  });
  const auth = `-H 'Authorization: Bearer ${key}'`;
  const data = saved
    ? `loaded from ${DATA} (saved at the last Ctrl-C; \`npm start -- --clean\` starts empty)`
    : `empty${clean ? ' (--clean)' : ''}; saved to ${DATA} when you press Ctrl-C`;
  console.log(`
callwake is running (push mode: outbox: pushes are stored, not sent; see them with
\`npx callwake calls pushes default <call-id>\`).

  Base URL     ${BASE}
  PBX API key  ${key}   (tenant "default", from .secret.local; set CALLWAKE_API_KEY to choose your own)
  VAPID key    ${vapidPublicKey}   (Web Push: browsers subscribe with it)
  Data         ${data}
  Schedules    expireCalls every minute, pruneStale daily; each call also ends at its own deadline
  Console      ${CONSOLE}   (operators sign in there; docs/console.md)
  Metrics      ${BASE}/v1/metrics   (Prometheus text, with the API key)

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
  # the pushes the call sent, with their payloads (tokens masked)
  npx callwake calls pushes default 1700000000.1
  # a pairing code for the app's QR scanner
  curl -s -X POST ${auth} ${BASE}/v1/extensions/1001/pairing-codes
  # make a Firebase Auth user (uid from the Auth emulator) a member of extension 1001
  curl -s -X PUT ${auth} ${BASE}/v1/extensions/1001/members/<uid>
  # unregister a device
  curl -s -X DELETE ${auth} ${BASE}/v1/extensions/1001/devices/pixel-1

  # the tenant's metrics, as Prometheus scrapes them
  curl -s ${auth} ${BASE}/v1/metrics

  App routes (/v1/app/...) take the app user's Firebase ID token instead of the API key: sign in
  against the Auth emulator as docs/app-integration.md shows.

  The console: add a user in the Auth emulator, then make it an operator of tenant default:
  curl -s -X POST -H 'Content-Type: application/json' 'http://127.0.0.1:9099/identitytoolkit.googleapis.com/v1/accounts:signUp?key=fake-api-key' -d '{"email":"ops@example.com","password":"change-me"}'
  npx callwake operators grant default ops@example.com --role admin

Firestore emulator: 127.0.0.1:8080  Auth emulator: 127.0.0.1:9099  Pub/Sub: 127.0.0.1:8085
Cloud Tasks: 127.0.0.1:9499  Press Ctrl-C to stop (and save the data).
`);
}
