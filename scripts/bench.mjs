// `npm run bench`: builds, then runs bench/main.ts inside `firebase emulators:exec` with the
// fake FCM and APNs servers' environment (as the integration tests do). The emulators' own
// output goes to .cache/bench/emulators.log; the terminal shows the bench's lines only
// (those the inner script marks). Bounded: the whole run is stopped after 8 minutes.
//
// The emulators bind fixed ports: callers that share a machine serialise with
// `flock /tmp/callwake-emulators.lock npm run bench`; this script takes no lock itself.
import { copyFileSync, createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emulatorEnv } from './emulators.mjs';
import { emulatorCommand } from './lib/emulatorCommand.mjs';
import { run, runPiped, signalGroup, stopGroup } from './lib/processes.mjs';
import { PROJECT_ID } from './lib/projectId.mjs';
import { ensureLocalSecrets } from './local-secrets.mjs';
import { requireDeployNode } from './runtime.mjs';
import { TEST_ENV } from './test-env.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
requireDeployNode('npm run bench');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const MARK = '[bench] ';
const LIMIT_MS = 20 * 60_000;

/** Runs a command to completion with inherited output; exits on failure. */
async function step(label, command, args) {
  console.log(`bench: ${label}`);
  const code = await run(command, args);
  if (code !== 0) {
    console.error(`bench: ${label} failed (exit ${code})`);
    process.exit(code);
  }
}

await step('building bench/hello.ts and the peers', bin('tsc'), [
  '-p',
  join('bench', 'tsconfig.json'),
]);
// After the peers (whose tsc run would write over the bundles); --keep-unbundled keeps tsc's
// onApiRequest.js beside the bundle, so the cold start compares both in one run.
await step('building the functions', process.execPath, [
  join('scripts', 'build.mjs'),
  '--keep-unbundled',
]);
ensureLocalSecrets(root);
// The peers' codebase (bench/peers, firebase.bench.json) reads the same APNs key, key id and
// team from its own source folder, where the emulator looks for .secret.local and .env files
// (both copies git-ignored).
copyFileSync(join(root, '.secret.local'), join(root, 'bench', 'peers', '.secret.local'));
copyFileSync(join(root, `.env.${PROJECT_ID}`), join(root, 'bench', 'peers', `.env.${PROJECT_ID}`));
mkdirSync(join(root, '.cache', 'test'), { recursive: true });
mkdirSync(join(root, '.cache', 'bench'), { recursive: true });
const logFile = join(root, '.cache', 'bench', 'emulators.log');
const baseEnv = emulatorEnv(root, {
  ...process.env,
  ...TEST_ENV(root),
  CALLWAKE_BENCH_MARK: MARK,
  // `npm run bench -- --quick`: a smoke run with small samples.
  CALLWAKE_BENCH_QUICK: process.argv.includes('--quick') ? '1' : '',
});
/** Where the cost session's counting proxy listens (bench/firestoreProxy.ts). */
const FIRESTORE_PROXY = '127.0.0.1:9418';

// The session running now: its emulators:exec process group (Java and workers too) is what a
// signal or the time limit stops.
let child = null;
let timedOut = false;
const timer = setTimeout(() => {
  timedOut = true;
  console.error(`bench: still running after ${LIMIT_MS / 60_000} minutes; stopping it.`);
  if (child) stopGroup(child, 15_000);
}, LIMIT_MS);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (child) signalGroup(child, signal);
    process.exit(130);
  });
}

/**
 * Runs `script` inside its own `firebase emulators:exec` session (callwake plus the peers it is
 * measured against, bench/peers: floor and seeds' design); exits on failure.
 */
async function session(script, env) {
  const log = createWriteStream(logFile);
  const started = runPiped(
    process.execPath,
    [
      ...emulatorCommand('emulators:exec', { config: 'firebase.bench.json' }),
      `${bin('tsx')} ${script}`,
    ],
    {
      env,
      detached: true,
      onLine: (line, out) => {
        log.write(`${line}\n`);
        if (line.startsWith(MARK)) out.write(`${line.slice(MARK.length)}\n`);
      },
    },
  );
  child = started.child;
  const { code } = await started.done;
  await new Promise((resolve) => log.end(resolve));
  if (code === 0 && !timedOut) return;
  clearTimeout(timer);
  const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-40).join('\n');
  console.error(`\nbench: failed (exit ${code}). Last lines of ${logFile}:\n${tail}`);
  process.exit(code || 1);
}

// First the cost, counted from the served functions: every worker's Firestore traffic goes
// through a counting proxy (bench/workerPreload.cjs), a hop the latency phases must not pay, so
// it gets a session of its own.
console.log(
  `bench: counting the served functions' Firestore operations (emulator output: ${logFile})`,
);
// A count left by an earlier run must not pass for this one's.
rmSync(join(root, '.cache', 'bench', 'served-cost.json'), { force: true });
await session('bench/servedCost.ts', {
  ...baseEnv,
  CALLWAKE_BENCH_FIRESTORE_PROXY: FIRESTORE_PROXY,
  CALLWAKE_BENCH_COST_ROUNDS: process.argv.includes('--quick') ? '2' : '4',
  NODE_OPTIONS: [
    baseEnv.NODE_OPTIONS ?? '',
    `--require ${join(root, 'bench', 'workerPreload.cjs')}`,
  ]
    .join(' ')
    .trim(),
});
console.log(`bench: starting the emulators (their output: ${logFile})`);
await session('bench/main.ts', baseEnv);
clearTimeout(timer);
