// `npm run e2e:asterisk`: callwake end to end through a real Asterisk 22.
// Finds or installs Asterisk (scripts/asterisk.mjs) and SIPp (Debian's
// sip-tester), builds the functions, and runs test/e2e/asterisk/run.ts inside
// `firebase emulators:exec` (Firestore, Functions, Auth) with the fake FCM and
// APNs of the integration tests. Asterisk, SIPp and the fakes listen on
// 127.0.0.1 only. Ends with one line, "e2e-asterisk: N passed, N failed"; exits
// non-zero on any failure, and when no Asterisk can be had (never skips).
//
// Environment: CALLWAKE_ASTERISK_TARBALL (an Asterisk tarball to install),
// CALLWAKE_ASTERISK_INCLUDE (another include to measure, e.g. an older one),
// CALLWAKE_E2E_HANGUPS (hang-ups to time, default 10).
//
// The emulators, Asterisk and SIPp bind fixed ports, so the run holds
// /tmp/callwake-emulators.lock (flock) throughout; set CALLWAKE_EMULATORS_LOCKED=1
// when the caller already holds it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ensureAsterisk } from './asterisk.mjs';
import { PROJECT_ID, emulatorEnv } from './emulators.mjs';
import { ensureLocalSecrets } from './local-secrets.mjs';
import { TEST_ENV } from './test-env.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const LOCK = '/tmp/callwake-emulators.lock';
const LOCK_WAIT_S = 1200;
// Start, every scenario, shutdown; a normal run takes about a minute and a half.
const RUN_LIMIT_MS = 300_000;
const WORK = join(root, '.cache', 'e2e-asterisk');
const startedAt = Date.now();

function finish(passed, failed) {
  console.log(
    `\n[e2e-asterisk] ${Math.round((Date.now() - startedAt) / 1000)} s (without waiting for the lock)`,
  );
  console.log(`e2e-asterisk: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

const have = (command) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

/** SIPp from Debian's sip-tester, when missing. */
function ensureSipp() {
  if (have('sipp')) return true;
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const apt = (args) => {
    const command = [...sudo, 'apt-get', '-o', 'DPkg::Lock::Timeout=600', ...args];
    console.log(`$ ${command.join(' ')}`);
    return spawnSync(command[0], command.slice(1), {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 600_000,
    }).status;
  };
  const install = ['install', '-y', '--no-install-recommends', 'sip-tester'];
  if (apt(install) !== 0 && (apt(['update']) !== 0 || apt(install) !== 0)) return false;
  return have('sipp');
}

function run(command, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', ...options });
    child.on('close', (code) => resolve(code ?? 1));
    child.on('error', () => resolve(1));
  });
}

/**
 * Ends what test/e2e/asterisk/run.ts started and could not stop (it was
 * killed): each child's pid (its own process group) is in .cache/e2e-asterisk/pids/,
 * ended only while it still names the same program.
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
      console.log(`[e2e-asterisk] stopping ${program} (pid ${pid}), left running`);
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
  console.log('=== e2e-asterisk: Asterisk 22 and SIPp against callwake on the emulators ===');
  let asterisk;
  try {
    asterisk = ensureAsterisk(root);
  } catch (err) {
    console.error(`e2e-asterisk: ${err instanceof Error ? err.message : err}`);
    finish(0, 1);
  }
  console.log(`[e2e-asterisk] ${asterisk.version}: ${asterisk.binary}`);
  if (!ensureSipp()) {
    console.error('e2e-asterisk: could not install sip-tester (SIPp).');
    finish(0, 1);
  }
  if (!process.env.CALLWAKE_E2E_BUILT && (await run('npm', ['run', 'build'])) !== 0) finish(0, 1);
  ensureLocalSecrets(root);
  mkdirSync(join(root, '.cache', 'test'), { recursive: true });
  mkdirSync(WORK, { recursive: true });
  reapChildren();
  const env = emulatorEnv(root, {
    ...process.env,
    ...TEST_ENV(root),
    CALLWAKE_ASTERISK_BINARY: asterisk.binary,
  });
  const tsx = join(root, 'node_modules', '.bin', 'tsx');
  const inner = `${tsx} ${join('test', 'e2e', 'asterisk', 'run.ts')}`;
  const firebase = join(root, 'node_modules', '.bin', 'firebase');
  const args = ['emulators:exec', '--only', 'firestore,functions,auth', '--project', PROJECT_ID];

  // Its own process group: on a timeout the emulators (Java included) end together.
  const child = spawn(firebase, [...args, inner], {
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
    console.error(`\ne2e-asterisk: the run took longer than ${RUN_LIMIT_MS / 1000} s, stopping it`);
    signalGroup('SIGINT');
    setTimeout(() => signalGroup('SIGKILL'), 15_000).unref();
  }, RUN_LIMIT_MS);
  const code = await closed;
  clearTimeout(limit);
  await sleep(500);
  signalGroup('SIGKILL');
  reapChildren();

  const line = /^e2e-asterisk-results (\{.*\})$/m.exec(output)?.[1];
  const counted = line ? JSON.parse(line) : { passed: 0, failed: 0 };
  // A run that dies before reporting counts as a failure, never as zero tests.
  if ((code !== 0 || timedOut) && counted.failed === 0) counted.failed = 1;
  finish(counted.passed, counted.failed);
}

if (process.env.CALLWAKE_EMULATORS_LOCKED) {
  await main();
} else {
  console.log(`[e2e-asterisk] waiting for ${LOCK} (other emulator runs finish first)`);
  const child = spawn(
    'flock',
    ['-w', String(LOCK_WAIT_S), '-E', '75', LOCK, process.execPath, fileURLToPath(import.meta.url)],
    { stdio: 'inherit', env: { ...process.env, CALLWAKE_EMULATORS_LOCKED: '1' } },
  );
  child.on('close', (code) => {
    if (code === 75) {
      console.error(`[e2e-asterisk] ${LOCK} stayed taken for ${LOCK_WAIT_S} s`);
      console.log('e2e-asterisk: 0 passed, 1 failed');
    }
    process.exit(code ?? 1);
  });
}
