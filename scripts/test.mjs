// `npm test`: type check, lint, format check, unit tests, then the
// integration and rules tests on the emulator suite. Ends with one summary
// line, "N passed, N failed", totalled over every step from the JSON summary each writes
// (scripts/lib/summary.mjs; mocha's through test/support/summaryReporter.cjs).
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptInstall, have } from './e2e-run.mjs';
import { emulatorEnv } from './emulators.mjs';
import { writeLocalConfig } from './hosting-local.mjs';
import { WITH_CONSOLE, emulatorCommand } from './lib/emulatorCommand.mjs';
import { runPiped } from './lib/processes.mjs';
import { SUMMARY_ENV, SUMMARY_REPORTER, readSummary } from './lib/summary.mjs';
import { ensureLocalSecrets } from './local-secrets.mjs';
import { DEPLOY_NODE_MAJOR, DEPLOY_RUNTIME, requireDeployNode } from './runtime.mjs';
import { TEST_ENV } from './test-env.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
requireDeployNode('npm test');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const SUMMARIES = join(root, '.cache', 'test', 'summaries');
const only = process.argv.includes('--only')
  ? process.argv[process.argv.indexOf('--only') + 1]
  : null;
// `--files <glob>`: only these integration test files, no SIP run (for working on one suite).
const files = process.argv.includes('--files')
  ? process.argv[process.argv.indexOf('--files') + 1]
  : null;
const totals = { passed: 0, failed: 0, pending: 0 };
// The titles of what failed, repeated under the summary: CI shows only the end of a long log.
const failures = [];

// The real programs the tests drive, from Debian: the QR decoder (unit tests), the browser
// (console and browser softphone) and Prometheus. Installed when missing, as the SIP runs do.
const TOOLS = { zbarimg: 'zbar-tools', chromium: 'chromium', prometheus: 'prometheus' };
const missingTools = Object.entries(TOOLS).filter(([command]) => !have(command));
if (missingTools.length > 0 && !aptInstall([...new Set(missingTools.map(([, pkg]) => pkg))])) {
  console.log(
    `npm test: could not install ${missingTools.map(([, pkg]) => pkg).join(', ')}; the tests that use them will fail.`,
  );
}

/** Runs a command under a header, streaming its output; resolves with its exit code and output. */
function run(label, command, args, env = process.env) {
  console.log(`\n=== ${label} ===`);
  return runPiped(command, args, { env }).done;
}

/**
 * Runs a step that writes its counts as JSON (a mocha run, deploy-check, stack-check,
 * e2e-asterisk) and adds them to the totals, its failures' titles under `name`. Resolves with
 * the step's exit code and output.
 */
async function counted(label, command, args, { env = process.env, name = label } = {}) {
  mkdirSync(SUMMARIES, { recursive: true });
  const file = join(SUMMARIES, `${name.replace(/[^\w-]+/g, '-')}.json`);
  rmSync(file, { force: true }); // an earlier run's counts must not pass for this one's
  const result = await run(label, command, args, { ...env, [SUMMARY_ENV]: file });
  const summary = readSummary(file);
  totals.passed += summary?.passed ?? 0;
  totals.failed += summary?.failed ?? 0;
  totals.pending += summary?.pending ?? 0;
  for (const title of summary?.failures ?? []) failures.push(`[${name}] ${title}`);
  // A step that dies before reporting counts as a failure, never as zero tests.
  if ((result.code !== 0 || !summary) && !summary?.failed) {
    totals.failed += 1;
    failures.push(`[${name}] exit code ${result.code}${summary ? '' : ', no results written'}`);
  }
  return result;
}

function finish(code) {
  if (failures.length > 0) {
    console.log('\n=== what failed ===');
    for (const line of failures) console.log(`  ${line.slice(0, 300)}`);
  }
  const skipped = totals.pending ? `, ${totals.pending} skipped` : '';
  console.log(`\ncallwake: ${totals.passed} passed, ${totals.failed} failed${skipped}`);
  // Every check counted as failed fails the run, whatever the exit code of its step.
  process.exit(totals.failed > 0 ? 1 : code);
}

const checks = [
  ['type check', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']],
  ['type check (console)', bin('tsc'), ['-p', 'console/tsconfig.json', '--noEmit']],
  ['type check (browser tests)', bin('tsc'), ['-p', 'test/console/tsconfig.json', '--noEmit']],
  ['lint', bin('eslint'), ['.', '--max-warnings=0']],
  ['format check', bin('prettier'), ['--check', '.']],
];

if (!only && !files) {
  for (const [label, command, args] of checks) {
    if ((await run(label, command, args)).code !== 0) {
      failures.push(`[${label}] failed`);
      totals.failed += 1; // a failed check fails the run as a test would
      finish(1);
    }
  }
  const unit = await counted('unit tests', bin('mocha'), [
    '--reporter',
    SUMMARY_REPORTER,
    'test/unit/**/*.test.ts',
  ]);
  if (unit.code !== 0) finish(1);
}

if ((await run('build', process.execPath, [join('scripts', 'build.mjs')])).code !== 0) finish(1);
if (!only && !files) {
  // What `firebase deploy` checks before it uploads: runtime, discovery, params, endpoints.
  await counted(
    'deploy check (the CLI discovers the built functions)',
    process.execPath,
    [join('scripts', 'deploy-check.mjs')],
    { name: 'deploy-check' },
  );
}
const secrets = ensureLocalSecrets(root);
mkdirSync(join(root, '.cache', 'test'), { recursive: true });
const env = emulatorEnv(root, { ...process.env, ...TEST_ENV(root) });
const suites = files
  ? `'${files}'`
  : `'test/integration/**/*.test.ts' 'test/rules/**/*.test.ts' 'test/security/**/*.test.ts' 'test/console/**/*.test.ts'`;
// --exit: a suite that fails midway may leave a browser, a Prometheus or a listener open; the
// run must still end (and report) instead of waiting on it until CI's time runs out.
const inner = `${bin('mocha')} --exit --reporter ${SUMMARY_REPORTER} --require tsx/cjs --require test/support/integrationHooks.ts ${suites}`;
/**
 * Every log line the emulated functions wrote during the suite, scanned for
 * what must never be logged: API keys, push tokens, ID tokens, private keys.
 * The tests' tokens and keys have recognisable shapes (test/support/ids.ts).
 */
function scanForSecrets(output, known) {
  const patterns = [
    /cwk_[A-Za-z0-9_-]{20,}/g,
    /fcm_[A-Za-z0-9_-]{40,}/g,
    /(?<![0-9a-f-])[0-9a-f]{64}(?![0-9a-f])/g,
    /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./g,
    /PRIVATE KEY/g,
  ];
  const found = patterns.flatMap((p) => output.match(p) ?? []);
  for (const secret of known) if (secret && output.includes(secret)) found.push(secret);
  return found;
}

const { code, output: integrationOutput } = await counted(
  'integration tests (emulators)',
  process.execPath,
  [
    // Hosting serves the console to the browser tests (test/console).
    ...emulatorCommand('emulators:exec', { only: WITH_CONSOLE, config: writeLocalConfig(root) }),
    inner,
  ],
  { env },
);
console.log('\n=== the Node that ran the functions ===');
// Each function instance logs the Node it runs on once (functions/wiring/services.ts).
const nodes = new Set(
  [
    ...integrationOutput.matchAll(/"node":"(v\d+\.\d+\.\d+)"[^\n]*"message":"instance started"/g),
  ].map((m) => m[1]),
);
const wrongNodes = [...nodes].filter((v) => Number(v.slice(1).split('.')[0]) !== DEPLOY_NODE_MAJOR);
if (files && nodes.size === 0) {
  // A suite run alone may start no function (the simulation on the Firestore stores).
  console.log('  - no function instance ran in these suites');
} else if (nodes.size > 0 && wrongNodes.length === 0) {
  console.log(
    `  ✔ every function instance ran on Node ${[...nodes].join(', ')} (${DEPLOY_RUNTIME})`,
  );
  totals.passed += 1;
} else {
  failures.push('[node check] a function instance ran on another Node');
  console.log(
    `  ✖ function instances ran on ${nodes.size ? [...nodes].join(', ') : 'no Node that logged it'}, not ${DEPLOY_RUNTIME}`,
  );
  totals.failed += 1;
}
console.log('\n=== secret scan of the emulator logs ===');
const leaks = scanForSecrets(integrationOutput, [secrets.PBX_API_KEY]);
if (leaks.length === 0) {
  console.log(
    `  ✔ no API key, push token, ID token or private key in ${integrationOutput.length} bytes of logs`,
  );
  totals.passed += 1;
} else {
  failures.push('[secret scan] secrets in the emulator logs');
  console.log(`  ✖ ${leaks.length} secrets in the logs, e.g. ${leaks[0].slice(0, 8)}…`);
  totals.failed += 1;
}
if (leaks.length > 0) finish(1);
if (files) finish(code === 0 ? 0 : 1);

// The local stack as a user runs it (`npm start`): a call's deadline with no harness around it,
// and a tenant's key across a restart.
const stack = await counted(
  'local stack (npm start, Ctrl-C, npm start)',
  process.execPath,
  [join(root, 'scripts', 'stack-check.mjs')],
  { name: 'stack-check' },
);

// Real SIP end to end: Kamailio, SIPp and linphonec against the emulated functions. The
// caller of `npm test` holds no emulator lock of ours, so the run needs none.
const sip = await counted(
  'SIP end to end (Kamailio, SIPp, linphonec)',
  process.execPath,
  [join(root, 'scripts', 'e2e-sip.mjs')],
  { env: { ...process.env, CALLWAKE_EMULATORS_LOCKED: '1' }, name: 'e2e-sip' },
);

// Real Asterisk end to end: Asterisk 22 with the dialplan include, SIPp, the
// emulated functions and the fake providers (installs Asterisk when missing,
// fails when it cannot).
const asterisk = await counted(
  'Asterisk end to end (Asterisk 22, SIPp)',
  process.execPath,
  [join(root, 'scripts', 'e2e-asterisk.mjs')],
  {
    env: { ...process.env, CALLWAKE_EMULATORS_LOCKED: '1', CALLWAKE_E2E_BUILT: '1' },
    name: 'e2e-asterisk',
  },
);
finish(code === 0 && stack.code === 0 && sip.code === 0 && asterisk.code === 0 ? 0 : 1);
