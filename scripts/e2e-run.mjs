// What the real-SIP runs (e2e-sip.mjs, e2e-asterisk.mjs) share: Debian packages, the summary
// line, the shared emulator lock, one `firebase emulators:exec` bounded in time, and ending the
// children a killed run left behind.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { emulatorCommand } from './lib/emulatorCommand.mjs';
import { runPiped, signalGroup, stopGroup } from './lib/processes.mjs';
import { readSummary, SUMMARY_ENV, SUMMARY_REPORTER, writeSummary } from './lib/summary.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const LOCK = '/tmp/callwake-emulators.lock';
const LOCK_WAIT_S = 1200;

export const have = (command) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

/** apt-get as root (or through sudo -n); updates the package lists once if an install fails. */
export function aptInstall(packages, log = console.log) {
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const apt = (args) => {
    // Other jobs on the machine may hold dpkg's lock for a while: wait for it.
    const command = [...sudo, 'apt-get', '-o', 'DPkg::Lock::Timeout=600', ...args];
    log(`$ ${command.join(' ')}`);
    return spawnSync(command[0], command.slice(1), {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 900_000,
    }).status;
  };
  const install = ['install', '-y', '--no-install-recommends', ...packages];
  return apt(install) === 0 || (apt(['update']) === 0 && apt(install) === 0);
}

export { run } from './lib/processes.mjs';

/** The helpers of one run: `name` labels its output, `work` holds its pids/ folder. */
export function e2eRun(name, work) {
  const startedAt = Date.now();

  /**
   * Prints the one summary line (and writes it as JSON for scripts/test.mjs, lib/summary.mjs)
   * and exits (non-zero unless something passed and nothing failed).
   */
  function finish(passed, failed, failures = []) {
    writeSummary({ passed, failed, failures });
    console.log(
      `\n[${name}] ${Math.round((Date.now() - startedAt) / 1000)} s (without waiting for the lock)`,
    );
    console.log(`${name}: ${passed} passed, ${failed} failed`);
    process.exit(failed === 0 && passed > 0 ? 0 : 1);
  }

  /**
   * Ends what the run's test script started and could not stop (it was killed): it records
   * each child's pid (its own process group) in `work`/pids/. A pid is ended only while it
   * still names the same program.
   */
  function reapChildren() {
    const dir = join(work, 'pids');
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
        console.log(`[${name}] stopping ${program} (pid ${pid}), left running`);
        try {
          process.kill(-Number(pid), 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      rmSync(join(dir, file), { force: true });
    }
  }

  /**
   * Runs `inner` inside `firebase emulators:exec` (EMULATORS: lib/emulatorCommand.mjs) in its own
   * process group, so that on a timeout or a signal the emulators (Java included) end together.
   * Resolves with the exit code, the output and whether `limitMs` ran out.
   */
  async function underEmulators(inner, env, limitMs) {
    const { child, done } = runPiped(
      process.execPath,
      [...emulatorCommand('emulators:exec'), inner],
      { env, detached: true },
    );
    for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopGroup(child, 10_000));
    let timedOut = false;
    const limit = setTimeout(() => {
      timedOut = true;
      console.error(`\n${name}: the run took longer than ${limitMs / 1000} s, stopping it`);
      stopGroup(child, 15_000);
    }, limitMs);
    const { code, output } = await done;
    clearTimeout(limit);
    // Give a group member that outlived the CLI (the Java emulator) a moment, then end it.
    await sleep(500);
    signalGroup(child, 'SIGKILL');
    return { code, output, timedOut };
  }

  /**
   * Runs the mocha suites `files` (in that order) under the emulators, counted by
   * test/support/summaryReporter.cjs, and finishes the run with their counts. A run that dies
   * before reporting counts as a failure, never as zero tests.
   */
  async function mochaUnderEmulators(files, env, limitMs, mochaArgs = []) {
    const summary = join(work, 'summary.json');
    rmSync(summary, { force: true });
    const mocha = join(root, 'node_modules', '.bin', 'mocha');
    const inner = [mocha, ...mochaArgs, '--reporter', SUMMARY_REPORTER, '--exit', ...files].join(
      ' ',
    );
    const { code, timedOut } = await underEmulators(
      inner,
      { ...env, [SUMMARY_ENV]: summary },
      limitMs,
    );
    reapChildren();
    const written = readSummary(summary);
    const counted = written ?? { passed: 0, failed: 0, failures: [] };
    if ((code !== 0 || timedOut || !written) && counted.failed === 0) {
      counted.failed = 1;
      counted.failures.push(
        timedOut ? 'the run took too long' : `the run ended (exit ${code}) before its results`,
      );
    }
    finish(counted.passed, counted.failed, counted.failures);
  }

  /**
   * Runs `main` under the shared emulator lock: at once when the caller holds it
   * (CALLWAKE_EMULATORS_LOCKED=1), else by running `script` again under flock, waiting for
   * other emulator runs.
   */
  async function underLock(script, main) {
    if (process.env.CALLWAKE_EMULATORS_LOCKED) {
      await main();
      return;
    }
    console.log(`[${name}] waiting for ${LOCK} (other emulator runs finish first)`);
    const child = spawn(
      'flock',
      ['-w', String(LOCK_WAIT_S), '-E', '75', LOCK, process.execPath, script],
      { stdio: 'inherit', env: { ...process.env, CALLWAKE_EMULATORS_LOCKED: '1' } },
    );
    child.on('close', (code) => {
      if (code === 75) {
        console.error(`[${name}] ${LOCK} stayed taken for ${LOCK_WAIT_S} s`);
        writeSummary({ passed: 0, failed: 1, failures: [`${LOCK} stayed taken`] });
        console.log(`${name}: 0 passed, 1 failed`);
      }
      process.exit(code ?? 1);
    });
  }

  return { finish, mochaUnderEmulators, reapChildren, underEmulators, underLock };
}
