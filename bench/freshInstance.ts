/**
 * Cold start as a PBX feels it: a fresh functions instance serving its first POST /v1/calls,
 * timed from the instance's process spawn to the push at the fake FCM, against a hello-world
 * function's fresh instance, spawn to its first reply. Each instance is the Functions
 * emulator's own runtime (firebase-tools, lib/emulator/functionsEmulatorRuntime.js: it loads
 * the codebase's `main` from its working directory, then serves FUNCTION_TARGET on the socket
 * in PORT), started with the environment the emulator gives a worker (its `getRuntimeEnvs`:
 * the codebase's .env files, .secret.local, the target and signature, FIREBASE_CONFIG), so the
 * first call pays what a deployed instance's does: the module load, the Firestore client
 * made on first use, the API key read and the push. The bench polls the socket every 5 ms for
 * both (the emulator itself polls every 100 ms, a wait no deployed instance has).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PROJECT_ID, ROOT } from '../test/support/emulator';
import type { Providers } from '../test/support/providers';
import { benchCallId, createTenant, registerExtensions } from './fixtures';
import { median, ratio, sleep } from './stats';

export interface FreshStartResult {
  runs: number;
  /** callwake: spawn → the module loaded and listening; → the push at the fake; → the reply. */
  callwake: { listeningMs: number; pushMs: number; replyMs: number };
  /** hello-world: spawn → listening; → its first reply. */
  hello: { listeningMs: number; replyMs: number };
  /** callwake's spawn → push over hello's spawn → reply (medians). */
  ratio: number;
}

const requireTools = createRequire(join(ROOT, 'node_modules', 'firebase-tools', 'package.json'));
const RUNTIME = requireTools.resolve('firebase-tools/lib/emulator/functionsEmulatorRuntime');
const functionsEnv = requireTools('firebase-tools/lib/functions/env') as {
  loadUserEnvs(opts: {
    functionsSource: string;
    projectId: string;
    projectAlias?: string;
    isEmulator?: boolean;
  }): Record<string, string>;
  parseStrict(data: string): Record<string, string>;
};

/**
 * The hello-world as a codebase of its own: a folder whose package.json names it as `main` and
 * declares firebase-functions and firebase-admin, as every Firebase functions codebase does
 * (`firebase init functions`). The runtime sets up its Admin SDK stubs (loading
 * firebase-functions/v2 and firebase-admin/firestore) only for a codebase that declares both
 * (functionsEmulatorRuntime.js, verifyDeveloperNodeModules before
 * initializeFirebaseAdminStubs): without them the baseline would skip about 300 ms of the
 * runtime's own start that callwake's instance pays.
 */
function helloCodebase(): string {
  const dir = join(ROOT, '.cache', 'bench', 'hello-codebase');
  mkdirSync(dir, { recursive: true });
  const ours = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const declared = (name: string) => ({ [name]: ours.dependencies[name] ?? '*' });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'bench-hello',
      main: relative(dir, join(ROOT, 'lib/bench/hello.js')),
      dependencies: { ...declared('firebase-functions'), ...declared('firebase-admin') },
    }),
  );
  return dir;
}

let sockets = 0;

function start(cwd: string, target: string, extra: Record<string, string>) {
  const socket = join(tmpdir(), `callwake-fresh-${process.pid}-${++sockets}.sock`);
  // A socket file an earlier run left behind would refuse the listen.
  rmSync(socket, { force: true });
  const env = {
    ...process.env,
    METADATA_SERVER_DETECTION: 'none',
    ...extra,
    GCLOUD_PROJECT: PROJECT_ID,
    K_REVISION: '1',
    GOOGLE_CLOUD_QUOTA_PROJECT: PROJECT_ID,
    FUNCTION_TARGET: target,
    FUNCTION_SIGNATURE_TYPE: 'http',
    K_SERVICE: target,
    FUNCTIONS_EMULATOR: 'true',
    TZ: 'UTC',
    FIREBASE_CONFIG: JSON.stringify({ projectId: PROJECT_ID }),
    PORT: socket,
  };
  const started = Date.now();
  const child = spawn(process.execPath, [RUNTIME], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.on('message', () => undefined);
  return { child, socket, started, output: () => output };
}

function send(
  socket: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body = '',
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Polls the instance's health route until its module is loaded and it listens. */
async function listening(socket: string, child: ChildProcess, output: () => string) {
  const bound = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the instance exited: ${output().slice(-800)}`);
    try {
      if ((await send(socket, 'GET', '/__/health')).status === 200) return Date.now();
    } catch {
      // not listening yet
    }
    if (Date.now() > bound) throw new Error(`no instance after 30 s: ${output().slice(-800)}`);
    await sleep(5);
  }
}

/** When the fake FCM took a push for `callId`. */
async function pushedAt(fakes: Providers, callId: string): Promise<number> {
  const bound = Date.now() + 10_000;
  for (;;) {
    const hit = fakes.fcm.requests.find(
      (r) =>
        r.status === 200 &&
        (r.body as { message?: { data?: { call_id?: string } } }).message?.data?.call_id === callId,
    );
    if (hit) return hit.receivedAt;
    if (Date.now() > bound) throw new Error(`no push for ${callId} at the fake FCM`);
    await sleep(5);
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => {
      resolve();
    });
    child.kill('SIGKILL');
  });
}

export async function freshInstance(fakes: Providers, runs: number): Promise<FreshStartResult> {
  const tenant = await createTenant('live');
  const extensions = await registerExtensions(tenant, 'cold', runs + 1, ['android']);
  const userEnvs = functionsEnv.loadUserEnvs({
    functionsSource: ROOT,
    projectId: PROJECT_ID,
    isEmulator: true,
  });
  let secrets: Record<string, string> = {};
  try {
    secrets = functionsEnv.parseStrict(readFileSync(join(ROOT, '.secret.local'), 'utf8'));
  } catch {
    // no local secrets: the instance reports what it misses
  }
  const hello = helloCodebase();
  const samples = {
    callwake: { listening: [] as number[], push: [] as number[], reply: [] as number[] },
    hello: { listening: [] as number[], reply: [] as number[] },
  };
  // One discarded round warms the disk cache; then the two take turns.
  for (let run = -1; run < runs; run += 1) {
    const ours = start(ROOT, 'api', { ...userEnvs, ...secrets });
    try {
      const up = await listening(ours.socket, ours.child, ours.output);
      const callId = benchCallId('cold');
      const body = new URLSearchParams({
        call_id: callId,
        to: extensions[run + 1] ?? '',
        from: '5551234',
        from_name: 'Bench',
        ring_timeout: '30',
      }).toString();
      const reply = await send(
        ours.socket,
        'POST',
        '/v1/calls',
        {
          authorization: `Bearer ${tenant.key}`,
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(Buffer.byteLength(body)),
        },
        body,
      );
      const replied = Date.now();
      if (reply.status !== 201) {
        throw new Error(`fresh api: HTTP ${reply.status} ${reply.text.slice(0, 300)}`);
      }
      const pushed = await pushedAt(fakes, callId);
      if (run >= 0) {
        samples.callwake.listening.push(up - ours.started);
        samples.callwake.push.push(pushed - ours.started);
        samples.callwake.reply.push(replied - ours.started);
      }
    } finally {
      await stop(ours.child);
    }
    const base = start(hello, 'hello', {});
    try {
      const up = await listening(base.socket, base.child, base.output);
      const reply = await send(base.socket, 'GET', '/');
      const replied = Date.now();
      if (reply.status !== 200) throw new Error(`fresh hello: HTTP ${reply.status}`);
      if (run >= 0) {
        samples.hello.listening.push(up - base.started);
        samples.hello.reply.push(replied - base.started);
      }
    } finally {
      await stop(base.child);
    }
  }
  const pushMs = median(samples.callwake.push);
  const helloMs = median(samples.hello.reply);
  return {
    runs,
    callwake: {
      listeningMs: median(samples.callwake.listening),
      pushMs,
      replyMs: median(samples.callwake.reply),
    },
    hello: { listeningMs: median(samples.hello.listening), replyMs: helloMs },
    ratio: ratio(pushMs, helloMs),
  };
}
