// Running the scripts' child processes: to completion with the terminal's output, or with the
// output piped (echoed and kept, or handed over line by line), in a process group of their own
// where the child starts others (the emulators' Java) that must end with it.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { root } from '../runtime.mjs';

/** Runs a command to completion, streaming its output; resolves with its exit code. */
export function run(command, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', ...options });
    child.on('close', (code) => resolve(code ?? 1));
    child.on('error', () => resolve(1));
  });
}

/**
 * Starts a command with its output piped. By default its stdout and stderr are echoed to this
 * process's and its stdout is kept; with `onLine`, each line of either goes to `onLine(line,
 * stream)` instead, the echo stream, and nothing is kept. `detached`: its own process group
 * (see signalGroup). Returns the child and `done`, resolving with `{ code, output }`.
 */
export function runPiped(command, args, { env = process.env, detached = false, onLine } = {}) {
  const child = spawn(command, args, {
    cwd: root,
    env,
    detached,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  if (onLine) {
    for (const [stream, echo] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ]) {
      createInterface({ input: stream }).on('line', (line) => onLine(line, echo));
    }
  } else {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk) => process.stderr.write(chunk));
  }
  const done = new Promise((resolve) => {
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
  return { child, done };
}

/** Sends `signal` to a detached child's whole process group; nothing when it is gone. */
export function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** SIGINT to a detached child's group (the CLI then stops the emulators), SIGKILL `graceMs` later. */
export function stopGroup(child, graceMs) {
  signalGroup(child, 'SIGINT');
  setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs).unref();
}
