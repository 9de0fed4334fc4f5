// `npm run e2e:sip`: callwake end to end with real SIP. Installs Kamailio,
// SIPp and linphonec from Debian's packages when missing, builds the
// functions, and runs test/e2e/sip.mjs (SIPp phones, outbox), then
// test/e2e/linphone.mjs (RFC 8599 with linphonec, the fake FCM and APNs), then
// test/e2e/webpush.mjs (RFC 8599 webpush, SIPp as a browser's SIP stack, the
// fake Web Push service), then test/e2e/slow.mjs (callwake answering 3 s
// late: 20 INVITEs and 20 REGISTERs at once) inside one `firebase
// emulators:exec` (Firestore, Functions, Auth).
// Everything listens on 127.0.0.1 only. Ends with one line,
// "e2e-sip: N passed, N failed"; exits non-zero on any failure.
// `--only <sip|linphone|webpush|slow>` runs that one (for working on it).
//
// The emulators bind fixed ports, so the run holds /tmp/callwake-emulators.lock
// (flock) throughout; set CALLWAKE_EMULATORS_LOCKED=1 when the caller already
// holds it.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { e2eRun, aptInstall, have, root, run } from './e2e-run.mjs';
import { emulatorEnv } from './emulators.mjs';
import { ensureLocalSecrets } from './local-secrets.mjs';
import { TEST_ENV } from './test-env.mjs';

// The whole emulator run (start, the four runs, shutdown); a normal run takes under five minutes.
const RUN_LIMIT_MS = 600_000;
const WORK = join(root, '.cache', 'e2e-sip');
const PACKAGES = ['kamailio', 'kamailio-utils-modules', 'sip-tester', 'linphone-cli'];
const { finish, reapChildren, underEmulators, underLock } = e2eRun('e2e-sip', WORK);

// http_client comes from kamailio-utils-modules, the rest with kamailio.
const kamailioModules = () =>
  spawnSync(
    'sh',
    [
      '-c',
      'for m in tmx tsilo http_client; do ls /usr/lib/*/kamailio/modules/$m.so || exit 1; done',
    ],
    { stdio: 'ignore' },
  ).status === 0;

const installed = () => have('kamailio') && have('sipp') && have('linphonec') && kamailioModules();

/** Kamailio (with the http_client module), SIPp and linphonec from Debian's packages, when missing. */
function ensurePackages() {
  if (installed()) return true;
  return aptInstall(PACKAGES) && installed();
}

async function main() {
  console.log('=== e2e-sip: Kamailio, SIPp and linphonec against callwake on the emulators ===');
  if (!ensurePackages()) {
    console.error(`e2e-sip: could not install ${PACKAGES.join(', ')} (Debian packages).`);
    finish(0, 1);
  }
  if ((await run('npm', ['run', 'build'])) !== 0) finish(0, 1);
  ensureLocalSecrets(root);
  mkdirSync(WORK, { recursive: true });
  reapChildren();
  // The fake providers' ports (test/e2e/linphone.mjs starts them) for the functions.
  const env = emulatorEnv(root, { ...process.env, ...TEST_ENV(root) });
  // Every run, whatever the others' outcome; the exit code fails if any failed.
  const sip = `node --import tsx ${join('test', 'e2e', 'sip.mjs')}`;
  const linphone = `node --import tsx ${join('test', 'e2e', 'linphone.mjs')}`;
  const webpush = `node --import tsx ${join('test', 'e2e', 'webpush.mjs')}`;
  const slow = `node --import tsx ${join('test', 'e2e', 'slow.mjs')}`;
  const runs = { sip, linphone, webpush, slow };
  const only = process.argv.includes('--only')
    ? process.argv[process.argv.indexOf('--only') + 1]
    : undefined;
  if (only !== undefined && !(only in runs)) {
    console.error(`e2e-sip: --only ${only}: not one of ${Object.keys(runs).join(', ')}`);
    finish(0, 1);
  }
  const inner = only
    ? runs[only]
    : `${sip}; first=$?; ${linphone}; second=$?; ${webpush}; third=$?; ${slow} && [ $first -eq 0 ] && [ $second -eq 0 ] && exit $third`;
  const { code, output, timedOut } = await underEmulators(inner, env, RUN_LIMIT_MS);
  reapChildren();

  const counted = { passed: 0, failed: 0 };
  const lines = [...output.matchAll(/^e2e-sip-results (\{.*\})$/gm)].map((m) => JSON.parse(m[1]));
  for (const line of lines) {
    counted.passed += line.passed;
    counted.failed += line.failed;
  }
  // A run that dies before reporting counts as a failure, never as zero tests.
  if ((code !== 0 || timedOut || lines.length < (only ? 1 : 4)) && counted.failed === 0) {
    counted.failed = 1;
  }
  finish(counted.passed, counted.failed);
}

await underLock(fileURLToPath(import.meta.url), main);
