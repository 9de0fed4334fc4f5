// `npm run e2e:asterisk`: callwake end to end through a real Asterisk 22.
// Finds or installs Asterisk (scripts/asterisk.mjs) and SIPp (Debian's
// sip-tester), builds the functions, and runs the mocha suites of test/e2e/asterisk/
// (one world for them all, started by its root hooks, hooks.ts, loaded first) inside
// `firebase emulators:exec` (Firestore, Functions, Auth) with the fake FCM and
// APNs of the integration tests. Asterisk, SIPp and the fakes listen on
// 127.0.0.1 only. Counts what mocha's summary reporter wrote
// (test/support/summaryReporter.cjs) and ends with one line, "e2e-asterisk: N
// passed, N failed"; exits non-zero on any failure, and when no Asterisk can be
// had (never skips).
//
// Environment: CALLWAKE_ASTERISK_TARBALL (an Asterisk tarball to install),
// CALLWAKE_ASTERISK_INCLUDE (another include to measure, e.g. an older one),
// CALLWAKE_E2E_HANGUPS (hang-ups to time, default 10).
//
// The emulators, Asterisk and SIPp bind fixed ports, so the run holds
// /tmp/callwake-emulators.lock (flock) throughout; set CALLWAKE_EMULATORS_LOCKED=1
// when the caller already holds it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeAsterisk, ensureAsterisk } from './asterisk.mjs';
import { e2eRun, aptInstall, have, root, run } from './e2e-run.mjs';
import { emulatorEnv } from './emulators.mjs';
import { ensureLocalSecrets } from './local-secrets.mjs';
import { TEST_ENV } from './test-env.mjs';

// Start, every scenario, shutdown; a normal run takes about a minute and a half.
const RUN_LIMIT_MS = 300_000;
const WORK = join(root, '.cache', 'e2e-asterisk');
const { finish, mochaUnderEmulators, reapChildren, underLock } = e2eRun('e2e-asterisk', WORK);

/** SIPp from Debian's sip-tester, when missing. */
function ensureSipp() {
  return have('sipp') || (aptInstall(['sip-tester']) && have('sipp'));
}

async function main() {
  console.log('=== e2e-asterisk: Asterisk 22 and SIPp against callwake on the emulators ===');
  let asterisk;
  try {
    asterisk = ensureAsterisk(root);
  } catch (err) {
    console.error(`e2e-asterisk: ${err instanceof Error ? err.message : err}`);
    finish(0, 1, ['no Asterisk']);
  }
  console.log(`[e2e-asterisk] ${describeAsterisk(asterisk)}`);
  if (!ensureSipp()) {
    console.error('e2e-asterisk: could not install sip-tester (SIPp).');
    finish(0, 1, ['no SIPp']);
  }
  if (!process.env.CALLWAKE_E2E_BUILT && (await run('npm', ['run', 'build'])) !== 0) {
    finish(0, 1, ['the build failed']);
  }
  ensureLocalSecrets(root);
  mkdirSync(join(root, '.cache', 'test'), { recursive: true });
  mkdirSync(WORK, { recursive: true });
  reapChildren();
  const env = emulatorEnv(root, {
    ...process.env,
    ...TEST_ENV(root),
    CALLWAKE_ASTERISK_BINARY: asterisk.binary,
  });
  // One mocha run, the suites in this order (the last checks what all the calls before it sent).
  const files = ['answers', 'cancels', 'fallback', 'secrecy'].map((name) =>
    join('test', 'e2e', 'asterisk', `${name}.test.ts`),
  );
  await mochaUnderEmulators(files, env, RUN_LIMIT_MS, [
    '--file',
    join('test', 'e2e', 'asterisk', 'hooks.ts'),
  ]);
}

await underLock(fileURLToPath(import.meta.url), main);
