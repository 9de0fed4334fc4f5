// `npm run e2e:sip`: callwake end to end with real SIP. Installs Kamailio,
// SIPp and linphonec from Debian's packages when missing, builds the
// functions, and runs the mocha suites of test/e2e/kamailio/ inside one `firebase
// emulators:exec` (Firestore, Functions, Auth): sip.test.ts (SIPp phones, outbox), then
// linphone.test.ts (RFC 8599 with linphonec, the fake FCM and APNs), then webpush.test.ts
// (RFC 8599 webpush, SIPp as a browser's SIP stack, the fake Web Push service), then
// slow.test.ts (callwake answering 3 s late: 20 INVITEs and 20 REGISTERs at once).
// Everything listens on 127.0.0.1 only. Counts what mocha's summary reporter wrote
// (test/support/summaryReporter.cjs) and ends with one line, "e2e-sip: N passed, N failed";
// exits non-zero on any failure.
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
const { finish, mochaUnderEmulators, reapChildren, underLock } = e2eRun('e2e-sip', WORK);

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
    finish(0, 1, [`could not install ${PACKAGES.join(', ')}`]);
  }
  if ((await run('npm', ['run', 'build'])) !== 0) finish(0, 1, ['the build failed']);
  ensureLocalSecrets(root);
  mkdirSync(WORK, { recursive: true });
  reapChildren();
  // The fake providers' ports (test/e2e/kamailio/linphone.test.ts starts them) for the functions.
  const env = emulatorEnv(root, {
    ...process.env,
    ...TEST_ENV(root),
  });
  const suites = ['sip', 'linphone', 'webpush', 'slow'];
  const only = process.argv.includes('--only')
    ? process.argv[process.argv.indexOf('--only') + 1]
    : undefined;
  if (only !== undefined && !suites.includes(only)) {
    console.error(`e2e-sip: --only ${only}: not one of ${suites.join(', ')}`);
    finish(0, 1, [`--only ${only} is not one of ${suites.join(', ')}`]);
  }
  // One mocha run, the suites in this order; a failing one does not stop the next.
  const files = (only ? [only] : suites).map((name) =>
    join('test', 'e2e', 'kamailio', `${name}.test.ts`),
  );
  await mochaUnderEmulators(files, env, RUN_LIMIT_MS);
}

await underLock(fileURLToPath(import.meta.url), main);
