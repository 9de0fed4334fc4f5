/**
 * Child processes of the Kamailio runs, each in its own process group so it and its children end
 * together. Each pid is written to .cache/e2e-sip/pids/ so scripts/e2e-sip.mjs can end what is
 * left if the run is killed.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from '../../support/emulator';

export const WORK = join(ROOT, '.cache', 'e2e-sip');

export interface Child {
  name: string;
  child: ChildProcessWithoutNullStreams;
  /** Resolves once the process is gone: its exit code (128 when killed by a signal), its output. */
  done: Promise<{ code: number; output: string }>;
  output(): string;
}

const children = new Set<ChildProcessWithoutNullStreams>();

/** Starts `command`; its stdin stays open (a pipe) until it ends. */
export function start(
  name: string,
  command: string,
  args: string[],
  { logFile, env, cwd = WORK }: { logFile?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Child {
  const child = spawn(command, args, {
    cwd,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(env ? { env } : {}),
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.stdin.on('error', () => undefined); // a child that died before reading
  const done = new Promise<{ code: number; output: string }>((resolve) => {
    child.on('close', (code, signal) => {
      children.delete(child);
      if (logFile) writeFileSync(logFile, output);
      resolve({ code: code ?? (signal ? 128 : 1), output });
    });
    child.on('error', (err) => {
      output += String(err);
    });
  });
  children.add(child);
  mkdirSync(join(WORK, 'pids'), { recursive: true });
  writeFileSync(join(WORK, 'pids', `${name}.pid`), `${String(child.pid)} ${command}\n`);
  return { name, child, done, output: () => output };
}

export function stop(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals = 'SIGTERM') {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Ends every child still running (SIGKILL), then `kamailio` gently. */
export async function stopAll(kamailio?: Child): Promise<void> {
  for (const child of children) if (child !== kamailio?.child) stop(child, 'SIGKILL');
  if (kamailio) {
    stop(kamailio.child, 'SIGTERM');
    await Promise.race([kamailio.done, sleep(3000)]);
    // Its workers can outlive the main process for a moment: end the whole group.
    stop(kamailio.child, 'SIGKILL');
  }
}
