/**
 * Child processes of the e2e run, each in its own process group so it and its
 * children end together. Each pid is written to .cache/e2e-asterisk/pids/ so
 * scripts/e2e-asterisk.mjs can end what is left if this run is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export const WORK = join(__dirname, '..', '..', '..', '.cache', 'e2e-asterisk');
const PIDS = join(WORK, 'pids');

export interface Child {
  name: string;
  process: ChildProcess;
  /** Resolves with the exit code (128 + n when killed by a signal) once the process is gone. */
  done: Promise<number>;
  output(): string;
  exited(): boolean;
}

const running = new Set<Child>();

export function start(
  name: string,
  command: string,
  args: string[],
  { logFile }: { logFile?: string } = {},
): Child {
  mkdirSync(PIDS, { recursive: true });
  const child = spawn(command, args, {
    cwd: WORK,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exited = false;
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const pidFile = join(PIDS, `${name}.pid`);
  const done = new Promise<number>((resolve) => {
    child.on('error', (err) => {
      output += String(err);
    });
    child.on('close', (code, signal) => {
      exited = true;
      running.delete(entry);
      rmSync(pidFile, { force: true });
      if (logFile) writeFileSync(logFile, output);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
  // comm is the program's base name, cut to 15 characters by the kernel.
  if (child.pid) writeFileSync(pidFile, `${child.pid} ${basename(command).slice(0, 15)}\n`);
  const entry: Child = { name, process: child, done, output: () => output, exited: () => exited };
  running.add(entry);
  return entry;
}

export function stop(child: Child, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.exited() || child.process.pid === undefined) return;
  try {
    process.kill(-child.process.pid, signal);
  } catch {
    // already gone
  }
}

/** Ends every child still running (the run's last step, failure or not). */
export async function stopAll(): Promise<void> {
  const left = [...running];
  for (const child of left) stop(child, 'SIGKILL');
  await Promise.all(left.map((c) => c.done));
}
