// What the SIP end-to-end runs share (test/e2e/sip.mjs, test/e2e/linphone.mjs, both run with
// `node --import tsx`, so this file may import the functions' TypeScript):
// callwake's API on the emulators, child processes in their own process
// groups, Kamailio with integrations/kamailio/kamailio.cfg, SIPp, and the
// one `e2e-sip-results {...}` line each run prints for scripts/e2e-sip.mjs.
/* global AbortSignal */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, URLSearchParams } from 'node:url';
import { initializeApp as initializeAdmin } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { retriedByClients, retrying } from '../support/retry.ts';
import {
  signingKeyId as signingKeyIdOf,
  signingSecretFor,
} from '../../functions/core/access/pbxSignature.ts';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(HERE, '..', '..');
export const WORK = join(ROOT, '.cache', 'e2e-sip');
export const PROJECT_ID = 'demo-callwake';
export const BASE_URL = `http://127.0.0.1:5001/${PROJECT_ID}/us-central1/api`;
// Another copy of the config (an earlier one, to compare) with CALLWAKE_E2E_KAMAILIO_CFG.
export const CFG =
  process.env.CALLWAKE_E2E_KAMAILIO_CFG ?? join(ROOT, 'integrations', 'kamailio', 'kamailio.cfg');
export const HOST = '127.0.0.1';
export const KAMAILIO_PORT = 5070;

const results = [];
const children = new Set();

export const log = (...args) => console.log('[e2e-sip]', ...args);

/** Polls `probe` until it returns something truthy, or fails after `ms`. */
export async function eventually(probe, what, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** One request to callwake's API: a form body, JSON back. */
export async function api(method, path, { bearer, form } = {}) {
  const headers = { Accept: 'application/json' };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const init = { method, headers, signal: AbortSignal.timeout(15_000) };
  if (form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    init.body = new URLSearchParams(form).toString();
  }
  const res = await fetch(`${BASE_URL}${path}`, init);
  const text = await res.text();
  let json = {};
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: keep the text for the error message
  }
  return { status: res.status, json, text };
}

/**
 * `api` for the runs' own setup: retried as a PBX retries (retriedByClients), at most 5 times a
 * second apart. The scenarios' requests under test go through `api` alone.
 */
export async function setupApi(method, path, options) {
  const again = (reply) => retriedByClients(reply.status, reply.json.error);
  return (await retrying(() => api(method, path, options), again, 5)).reply;
}

/**
 * Starts a child process in its own process group, so it and its children
 * can be ended together. Its stdin stays open (a pipe) until it ends.
 */
export function start(name, command, args, { logFile, env, cwd = WORK } = {}) {
  const child = spawn(command, args, {
    cwd,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(env ? { env } : {}),
  });
  let output = '';
  const keep = (chunk) => {
    output += chunk;
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.stdin.on('error', () => {}); // a child that died before reading
  const done = new Promise((resolve) => {
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
  // For scripts/e2e-sip.mjs, which ends what is left if this run is killed.
  mkdirSync(join(WORK, 'pids'), { recursive: true });
  writeFileSync(join(WORK, 'pids', `${name}.pid`), `${child.pid} ${command}\n`);
  return { name, child, done, output: () => output };
}

export function stop(child, signal = 'SIGTERM') {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Ends every child still running (SIGKILL), then Kamailio gently. */
export async function stopAll(kamailio) {
  for (const child of children) if (child !== kamailio?.child) stop(child, 'SIGKILL');
  if (kamailio) {
    stop(kamailio.child, 'SIGTERM');
    await Promise.race([kamailio.done, sleep(3000)]);
    // Its workers can outlive the main process for a moment: end the whole group.
    stop(kamailio.child, 'SIGKILL');
  }
}

/**
 * SIPp on 127.0.0.1 only, one call to `service` (or `calls` at once, each with its line of the
 * `inf` injection file as [field0]...), bounded by its own global timeout. `keys` fill the
 * scenario's own [keywords] (SIPp's -key).
 */
export function sipp(name, scenario, port, callIdPattern, service, keys = {}, more = {}) {
  const { calls = 1, inf } = more;
  const messages = join(WORK, `${name}.messages.log`);
  const args = [
    `${HOST}:${KAMAILIO_PORT}`,
    ['-sf', join(HERE, scenario)],
    ['-s', service],
    ['-i', HOST],
    ['-mi', HOST],
    ['-mp', String(port + 1000)],
    ['-p', String(port)],
    '-bind_local',
    ['-m', String(calls)],
    // Every call at once (1000 a second), none held back by SIPp's own limit.
    ...(calls > 1
      ? [
          ['-r', '1000'],
          ['-rp', '1000'],
          ['-l', String(calls)],
        ]
      : []),
    ...(inf ? [['-inf', inf]] : []),
    ['-cid_str', callIdPattern],
    '-trace_msg',
    ['-message_file', messages],
    '-trace_err',
    ['-error_file', join(WORK, `${name}.errors.log`)],
    ['-recv_timeout', '30000'],
    ['-timeout', '45s'],
    '-timeout_error',
    '-nostdin',
    ...Object.entries(keys).flatMap(([key, value]) => ['-key', key, value]),
  ].flat();
  const run = start(name, 'sipp', args, { logFile: join(WORK, `${name}.out.log`) });
  return { ...run, messages };
}

/**
 * The SIP messages SIPp logged (-trace_msg): time (ms since the epoch),
 * direction, first line, CSeq and the whole text. SIPp stamps them in local time.
 */
export function sipTrace(file) {
  if (!existsSync(file)) return [];
  const entries = [];
  const blocks = readFileSync(file, 'utf8')
    .split(/^-{20,} /m)
    .slice(1);
  for (const block of blocks) {
    const match =
      /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)\.(\d+)\s*\n(.*)\n\s*\n([^\n]*)\n([\s\S]*)$/.exec(block);
    if (!match) continue;
    const [, date, time, fraction, what, firstLine, rest] = match;
    const at = new Date(`${date}T${time}`).getTime() + Number(`0.${fraction}`) * 1000;
    const cseq = /^CSeq:\s*(.*)$/im.exec(rest)?.[1]?.trim() ?? '';
    const callId = /^(?:Call-ID|i):\s*(.*)$/im.exec(rest)?.[1]?.trim() ?? '';
    const line = firstLine.trim();
    entries.push({ at, sent: /sent/.test(what), line, cseq, callId, text: `${line}\n${rest}` });
  }
  return entries;
}

export function sipFlow(trace) {
  return trace.map((e) => `${e.sent ? '->' : '<-'} ${e.line} (${e.cseq})`).join('\n      ');
}

/** Runs one scenario, recording its outcome for the results line. */
export async function test(name, body) {
  const startedAt = Date.now();
  try {
    await body();
    results.push({ name, ok: true });
    log(`ok   ${name} (${Date.now() - startedAt} ms)`);
  } catch (err) {
    results.push({ name, ok: false, error: String(err?.stack ?? err) });
    log(`FAIL ${name}\n     ${String(err?.message ?? err)}`);
  }
}

export function failSetup(err) {
  results.push({ name: 'setup', ok: false, error: String(err?.stack ?? err) });
  log(`FAIL setup\n     ${String(err?.stack ?? err)}`);
}

/** Prints the run's results line (scripts/e2e-sip.mjs adds them up) and exits. */
export function report(timings) {
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`e2e-sip-results ${JSON.stringify({ passed, failed, timings })}`);
  process.exit(failed === 0 ? 0 : 1);
}

export const formatMs = (ms) => (ms === undefined ? 'n/a' : `${Math.round(ms)} ms`);

/** The p-th percentile (nearest rank) of `values`; undefined when there are none. */
export function percentile(values, p) {
  if (!values?.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** "p50 …, p95 …, max … (n=…)". */
export const percentiles = (values) =>
  `p50 ${formatMs(percentile(values, 50))}, p95 ${formatMs(percentile(values, 95))}, max ${formatMs(percentile(values, 100))} (n=${values?.length ?? 0})`;

/** Hang-up -> cancel push at the provider: p95 goal on every PBX path. */
export const HANGUP_GOAL_MS = 300;

/**
 * The hang-up -> cancel push lines of a run whose first cancel is also the first run of the
 * cancel path in the emulator's trigger workers, which it starts on first use, one after
 * another (seen as "instance started" lines beside it). That one is printed apart, as a cold
 * start; the goal is checked on the rest, and all of them are printed too. Deployed, the
 * onCallWritten instances CANCEL_MIN_INSTANCES keeps warm take that cold start away.
 */
export function cancelLines(label, values) {
  const [first, ...warm] = values ?? [];
  return [
    `  ${label}: ${percentiles(warm)}; goal p95 <= ${HANGUP_GOAL_MS} ms: ${goalVerdict(warm, HANGUP_GOAL_MS)}`,
    `    the run's first cancel (trigger workers starting): ${formatMs(first)}; all ${values?.length ?? 0}: ${percentiles(values)}`,
  ];
}

/** "met" or "MISSED by …" for a p95 goal. */
export function goalVerdict(values, goalMs) {
  const p95 = percentile(values, 95);
  if (p95 === undefined) return 'not measured';
  return p95 <= goalMs
    ? `met (p95 ${formatMs(p95)}, ${formatMs(goalMs - p95)} under)`
    : `MISSED (p95 ${formatMs(p95)}, x${(p95 / goalMs).toFixed(2)}, ${formatMs(p95 - goalMs)} over)`;
}

let firestore;
/** The emulated Firestore, as the Admin SDK sees it. */
export function db() {
  firestore ??= getFirestore(initializeAdmin({ projectId: PROJECT_ID }, 'e2e-sip'));
  return firestore;
}

/**
 * A tenant with its own API key and the PBX signing secret derived from it, as
 * test/support/emulator.ts (and the CLI) make them.
 */
export async function createTenant(pushMode) {
  const id = `t-e2e-${randomBytes(5).toString('hex')}`;
  const key = `cwk_test_${randomBytes(18).toString('base64url')}`;
  const hash = createHash('sha256').update(key).digest('hex');
  const signingSecret = signingSecretFor(key);
  const signingKeyId = signingKeyIdOf(signingSecret);
  await db().doc(`tenants/${id}`).set({ name: id, pushMode });
  await db()
    .doc(`signingKeys/${signingKeyId}`)
    .set({ tenant: id, apiKey: hash, secret: signingSecret, createdAt: Date.now() });
  await db().doc(`apiKeys/${hash}`).set({ tenant: id, createdAt: Date.now(), signingKeyId });
  return { id, key, signingSecret, signingKeyId };
}

/** The PBX invites the app's user to `extension`, and the app accepts (the user's consent). */
export async function makeMember(tenant, extension, app) {
  const invited = await setupApi('PUT', `/v1/extensions/${extension}/members/${app.uid}`, {
    bearer: tenant.key,
  });
  assert(invited.status === 202, `invite: ${invited.status} ${invited.text}`);
  const accepted = await setupApi('POST', '/v1/app/invitations/accept', {
    bearer: await app.idToken(),
    form: { tenant: tenant.id, extension },
  });
  assert(accepted.status === 200, `accept: ${accepted.status} ${accepted.text}`);
}

/** Waits until callwake answers (the functions are loaded, no cold start in the timings). */
export async function callwakeUp() {
  await eventually(
    async () => (await api('GET', '/v1/health').catch(() => ({ status: 0 }))).status === 200,
    'GET /v1/health',
    30_000,
  );
}

/**
 * Raises net.unix.max_dgram_qlen as integrations/kamailio/README.md advises, when this run has a
 * network namespace of its own (loopback only, as under `unshare --net`): the setting is per
 * namespace, so the machine's own is left alone. Kamailio hands each request to callwake to a
 * task worker through a unix datagram socket, and with the kernel's default (10 queued) a SIP
 * worker waits for a task worker to be scheduled when a burst comes.
 */
function raiseTaskQueue() {
  const file = '/proc/sys/net/unix/max_dgram_qlen';
  try {
    // /proc/net/dev lists the interfaces of this process's namespace.
    const interfaces = readFileSync('/proc/net/dev', 'utf8')
      .split('\n')
      .slice(2)
      .map((line) => line.split(':')[0].trim())
      .filter(Boolean);
    if (interfaces.length !== 1 || interfaces[0] !== 'lo') return;
    if (Number(readFileSync(file, 'utf8')) >= TASK_QUEUE) return;
    writeFileSync(file, String(TASK_QUEUE));
    log(`net.unix.max_dgram_qlen raised to ${readFileSync(file, 'utf8').trim()} in this namespace`);
  } catch {
    // Not allowed here: Kamailio works with the default, bursts wait a little longer.
  }
}
const TASK_QUEUE = 256;

/**
 * Kamailio in the foreground (-DD), logging to stderr, in its own process group. It reaches
 * callwake at `url` (a recording proxy, or the API itself) and signs with the tenant's PBX
 * signing secret; it is never given the API key. `defines` override the config's (-A).
 */
export async function startKamailio(
  tenant,
  logName = 'kamailio',
  url = BASE_URL,
  defines = {},
  cfg = CFG,
) {
  const args = [
    '-DD',
    '-E',
    ['-f', cfg],
    ['-P', join(WORK, `${logName}.run.pid`)],
    ['-Y', WORK],
    ['-m', '64'],
    ['-M', '8'],
    ['-A', `CALLWAKE_URL="${url}"`],
    ['-A', `CALLWAKE_KEY_ID="${tenant.signingKeyId}"`],
    ['-A', `CALLWAKE_SECRET="${tenant.signingSecret}"`],
    ['-A', `SIP_ADDR=${HOST}`],
    ['-A', `SIP_PORT=${KAMAILIO_PORT}`],
    ['-A', 'RING_TIMEOUT=30'],
    ...Object.entries(defines).map(([name, value]) => ['-A', `${name}=${value}`]),
  ].flat();
  raiseTaskQueue();
  const kamailio = start('kamailio', 'kamailio', args, {
    logFile: join(WORK, `${logName}.log`),
  });
  // Ready when it answers an OPTIONS keepalive.
  await eventually(
    () => sipOptions(),
    `Kamailio to answer OPTIONS on ${HOST}:${KAMAILIO_PORT}`,
    10_000,
  );
  return kamailio;
}

/** Stops `kamailio` (stopAll) and waits until nothing answers on its port any more. */
export async function stopKamailio(kamailio) {
  await stopAll(kamailio);
  await eventually(
    async () => !(await sipOptions()),
    `${HOST}:${KAMAILIO_PORT} to fall silent`,
    10_000,
  );
}

function sipOptions() {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const done = (ok) => {
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 300);
    socket.on('message', (msg) => done(/^SIP\/2\.0 200/.test(msg.toString())));
    socket.on('error', () => done(false));
    socket.bind(0, HOST, () => {
      const { port } = socket.address();
      const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
      const request = [
        `OPTIONS sip:${HOST}:${KAMAILIO_PORT} SIP/2.0`,
        `Via: SIP/2.0/UDP ${HOST}:${port};branch=${branch}`,
        'Max-Forwards: 70',
        `From: <sip:probe@${HOST}>;tag=${randomBytes(4).toString('hex')}`,
        `To: <sip:${HOST}:${KAMAILIO_PORT}>`,
        `Call-ID: probe-${randomBytes(6).toString('hex')}@${HOST}`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(request, KAMAILIO_PORT, HOST);
    });
  });
}

/** A Call-ID pattern for SIPp, unique per run; SIPp expands %u (the call number: 1). */
export const callIdFor = (tag) => `cw-e2e-${tag}-${randomBytes(4).toString('hex')}-%u@${HOST}`;
export const expandCallId = (pattern) => pattern.replace('%u', '1');
