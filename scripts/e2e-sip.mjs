// `npm run e2e:sip`: callwake end to end with real SIP. Installs Kamailio,
// SIPp and linphonec from Debian's packages when missing, builds the
// functions, and runs test/e2e/sip.mjs (SIPp phones, outbox) then
// test/e2e/linphone.mjs (RFC 8599 with linphonec, the fake FCM and APNs)
// inside one `firebase emulators:exec` (Firestore, Functions, Auth).
// Everything listens on 127.0.0.1 only. Ends with one line,
// "e2e-sip: N passed, N failed"; exits non-zero on any failure.
//
// The emulators bind fixed ports, so the run holds /tmp/callwake-emulators.lock
// (flock) throughout; set CALLWAKE_EMULATORS_LOCKED=1 when the caller already
// holds it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { PROJECT_ID, emulatorEnv } from './emulators.mjs';
import { ensureLocalSecrets } from './local-secrets.mjs';
import { TEST_ENV } from './test-env.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const LOCK = '/tmp/callwake-emulators.lock';
const LOCK_WAIT_S = 1200;
// The whole emulator run (start, both runs, shutdown); a normal run takes about two minutes.
const RUN_LIMIT_MS = 300_000;
const WORK = join(root, '.cache', 'e2e-sip');
const PACKAGES = ['kamailio', 'kamailio-utils-modules', 'sip-tester', 'linphone-cli'];

const startedAt = Date.now();

function finish(passed, failed) {
  console.log(
    `\n[e2e-sip] ${Math.round((Date.now() - startedAt) / 1000)} s (without waiting for the lock)`,
  );
  console.log(`e2e-sip: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

const have = (command) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
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
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const apt = (args) => {
    const command = [...sudo, 'apt-get', ...args];
    console.log(`$ ${command.join(' ')}`);
    return spawnSync(command[0], command.slice(1), {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 600_000,
    }).status;
  };
  const install = ['install', '-y', '--no-install-recommends', ...PACKAGES];
  // A fresh machine has no package lists yet: update once if the install fails.
  if (apt(install) !== 0 && (apt(['update']) !== 0 || apt(install) !== 0)) return false;
  return installed();
}

/** Runs a command to completion, streaming its output. */
function run(command, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', ...options });
    child.on('close', (code) => resolve(code ?? 1));
    child.on('error', () => resolve(1));
  });
}

/**
 * Ends what test/e2e/sip.mjs started and could not stop (it was killed): it
 * records each child's pid (its own process group) in .cache/e2e-sip/pids/.
 * A pid is ended only while it still names the same program.
 */
function reapChildren() {
  const dir = join(WORK, 'pids');
  if (!existsSync(dir)) return;
  for (const file of readdirSync(dir)) {
    const [pid, program] = readFileSync(join(dir, file), 'utf8').trim().split(' ');
    let comm = '';
    try {
      comm = readFileSync(`/proc/${Number(pid)}/comm`, 'utf8').trim();
    } catch {
      comm = ''; // not running
    }
    if (comm && comm === program) {
      console.log(`[e2e-sip] stopping ${program} (pid ${pid}), left running`);
      try {
        process.kill(-Number(pid), 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    rmSync(join(dir, file), { force: true });
  }
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
  // Both runs, whatever the first one's outcome; the exit code fails if either failed.
  const sip = `node ${join('test', 'e2e', 'sip.mjs')}`;
  const linphone = `node --import tsx ${join('test', 'e2e', 'linphone.mjs')}`;
  const inner = `${sip}; first=$?; ${linphone} && exit $first`;
  const firebase = join(root, 'node_modules', '.bin', 'firebase');
  const args = [
    'emulators:exec',
    '--only',
    'firestore,functions,auth',
    '--project',
    PROJECT_ID,
    inner,
  ];

  // Its own process group: on a timeout the emulators (Java included) are ended together.
  const child = spawn(firebase, args, {
    cwd: root,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
    process.stdout.write(chunk);
  });
  child.stderr.on('data', (chunk) => process.stderr.write(chunk));
  const signalGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const closed = new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      signalGroup('SIGINT');
      setTimeout(() => signalGroup('SIGKILL'), 10_000).unref();
    });
  }
  let timedOut = false;
  const limit = setTimeout(() => {
    timedOut = true;
    console.error(`\ne2e-sip: the run took longer than ${RUN_LIMIT_MS / 1000} s, stopping it`);
    signalGroup('SIGINT');
    setTimeout(() => signalGroup('SIGKILL'), 15_000).unref();
  }, RUN_LIMIT_MS);
  const code = await closed;
  clearTimeout(limit);
  // Give a group member that outlived the CLI (the Java emulator) a moment, then end it.
  await sleep(500);
  signalGroup('SIGKILL');
  reapChildren();

  const counted = { passed: 0, failed: 0 };
  const lines = [...output.matchAll(/^e2e-sip-results (\{.*\})$/gm)].map((m) => JSON.parse(m[1]));
  for (const line of lines) {
    counted.passed += line.passed;
    counted.failed += line.failed;
  }
  // A run that dies before reporting counts as a failure, never as zero tests.
  if ((code !== 0 || timedOut || lines.length < 2) && counted.failed === 0) counted.failed = 1;
  finish(counted.passed, counted.failed);
}

if (process.env.CALLWAKE_EMULATORS_LOCKED) {
  await main();
} else {
  // Re-run this script under the shared emulator lock, waiting for other runs.
  console.log(`[e2e-sip] waiting for ${LOCK} (other emulator runs finish first)`);
  const child = spawn(
    'flock',
    ['-w', String(LOCK_WAIT_S), '-E', '75', LOCK, process.execPath, fileURLToPath(import.meta.url)],
    { stdio: 'inherit', env: { ...process.env, CALLWAKE_EMULATORS_LOCKED: '1' } },
  );
  child.on('close', (code) => {
    if (code === 75) {
      console.error(`[e2e-sip] ${LOCK} stayed taken for ${LOCK_WAIT_S} s`);
      console.log('e2e-sip: 0 passed, 1 failed');
    }
    process.exit(code ?? 1);
  });
}
