import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ID, ROOT } from './emulator';
import { eventually } from './wait';

/**
 * Stopping and restarting the Firestore emulator under a running
 * `emulators:exec`, which itself can only start and stop the whole suite.
 * The replacement is the same command line, seeded with an export taken just
 * before the stop: a real Firestore outage loses no data.
 */
export interface FirestoreJvm {
  pid: number;
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

const host = () => {
  const value = process.env.FIRESTORE_EMULATOR_HOST;
  assert.ok(value, 'FIRESTORE_EMULATOR_HOST is set');
  return value;
};

/** The running emulator's JVM and exactly how it was started (Linux /proc). */
export async function firestoreJvm(): Promise<FirestoreJvm> {
  const port = host().split(':').pop()!;
  const { stdout } = await promisify(execFile)('pgrep', [
    '-f',
    `firestore-emulator.*--port ${port}`,
  ]);
  // Other checkouts on this machine may run their own emulator on the same port (each in its
  // own network namespace, all in one process namespace): take the one this repository started.
  const pids = stdout.split('\n').filter(Boolean).map(Number);
  const ours = pids.filter((candidate) => {
    try {
      return readlinkSync(`/proc/${candidate}/cwd`) === ROOT;
    } catch {
      return false; // exited meanwhile
    }
  });
  const pid = ours[0] ?? 0;
  assert.ok(pid > 0, `this repository's Firestore emulator is running (of ${pids.length} found)`);
  const nulSeparated = (file: string) =>
    readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0').filter(Boolean);
  const env = Object.fromEntries(
    nulSeparated('environ').map((entry) => {
      const at = entry.indexOf('=');
      return [entry.slice(0, at), entry.slice(at + 1)];
    }),
  );
  return { pid, argv: nulSeparated('cmdline'), cwd: readlinkSync(`/proc/${pid}/cwd`), env };
}

/** Writes the project's documents to a fresh directory; returns its metadata file for `--seed_from_export`. */
export async function exportData(): Promise<string> {
  const directory = mkdtempSync(join(tmpdir(), 'callwake-firestore-'));
  const reply = await fetch(`http://${host()}/emulator/v1/projects/${PROJECT_ID}:export`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      database: `projects/${PROJECT_ID}/databases/(default)`,
      export_directory: directory,
      export_name: 'firestore_export',
    }),
  });
  assert.equal(reply.status, 200, await reply.text());
  return join(directory, 'firestore_export', 'firestore_export.overall_export_metadata');
}

const listening = async () => {
  try {
    return (await fetch(`http://${host()}/`)).ok;
  } catch {
    return false;
  }
};

/** Kills the JVM outright (no shutdown hooks) and waits until its port refuses connections. */
export async function stopJvm(jvm: FirestoreJvm): Promise<void> {
  process.kill(jvm.pid, 'SIGKILL');
  await eventually(async () => !(await listening()), 'the Firestore port to close');
}

let replacement: ChildProcess | undefined;
// The replacement outlives this test (later suites use it); it must not outlive the run,
// or the next `emulators:exec` finds port 8080 taken.
process.once('exit', () => replacement?.kill('SIGKILL'));

/**
 * Starts the same JVM again from `seed`, then has the Functions emulator register its
 * Firestore triggers anew (a new emulator knows none) through the hub's documented
 * disable/enable endpoints, as @firebase/rules-unit-testing's withFunctionTriggersDisabled does.
 */
export async function restartJvm(jvm: FirestoreJvm, seed: string): Promise<void> {
  const log = openSync(join(tmpdir(), `callwake-firestore-${process.pid}.log`), 'a');
  replacement = spawn(jvm.argv[0]!, [...jvm.argv.slice(1), '--seed_from_export', seed], {
    cwd: jvm.cwd,
    env: jvm.env,
    stdio: ['ignore', log, log],
  });
  replacement.unref(); // mocha exits when its tests are done, not when the JVM is
  await eventually(listening, 'the restarted Firestore emulator', 30_000);
  await backgroundTriggers('disable');
  await backgroundTriggers('enable');
}

/** Stops (or starts again) every Firestore trigger of the Functions emulator, through its hub. */
async function backgroundTriggers(step: 'disable' | 'enable'): Promise<void> {
  const hub = process.env.FIREBASE_EMULATOR_HUB;
  assert.ok(hub, 'FIREBASE_EMULATOR_HUB is set');
  const reply = await fetch(`http://${hub}/functions/${step}BackgroundTriggers`, { method: 'PUT' });
  assert.equal(reply.status, 200, await reply.text());
}

/** Runs `work` with no Firestore trigger running: a write made meanwhile never triggers. */
export async function withoutTriggers<T>(work: () => Promise<T>): Promise<T> {
  await backgroundTriggers('disable');
  try {
    return await work();
  } finally {
    await backgroundTriggers('enable');
  }
}
