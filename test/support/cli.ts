import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './emulator';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npx callwake …` as an operator runs it: a child process against the emulators. */
export function runCli(args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', 'callwake.js'), ...args],
      { cwd: ROOT, env: process.env, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

/** A command that succeeds, printing nothing on stderr; its --json output. */
export async function cliJson<T>(args: string[]): Promise<T> {
  const run = await runCli([...args, '--json']);
  assert.equal(run.code, 0, `callwake ${args.join(' ')}: ${run.stderr}`);
  assert.equal(run.stderr, '');
  return JSON.parse(run.stdout) as T;
}
