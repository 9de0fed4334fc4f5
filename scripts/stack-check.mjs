// The local stack as a user runs it: `npm start` (scripts/start.mjs) in a data directory of its
// own. A tenant made with the CLI, a call with ring_timeout=5 that nobody answers (missed at its
// deadline through the long-poll, GET and the document, with no test harness around it), a
// ringing call past its deadline that only the expireCalls schedule can end, then Ctrl-C and a
// second start: the tenant's key still works and the call is still there; then a start with
// --clean: the data is gone and the key answers 401.
// Prints `stack-check: N passed, M failed` for scripts/test.mjs. Needs the emulators' ports free.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ID } from './lib/projectId.mjs';
import { writeSummary } from './lib/summary.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BASE = `http://127.0.0.1:5001/${PROJECT_ID}/us-central1/api`;
const STARTUP_MS = 300_000; // a cold start of five emulators on a busy 2-core machine
// The minute job's next run is at most a minute away; its cold start on a busy machine, more.
const SCHEDULE_MS = 180_000;
const DOCUMENTS = `http://127.0.0.1:8080/v1/projects/${PROJECT_ID}/databases/(default)/documents`;
const OWNER = { Authorization: 'Bearer owner', 'Content-Type': 'application/json' };
const data = mkdtempSync(join(tmpdir(), 'callwake-stack-'));
let passed = 0;
let failed = 0;
const failures = [];

function check(ok, what, detail = '') {
  console.log(`  ${ok ? '✔' : '✖'} ${what}${detail ? ` (${detail})` : ''}`);
  if (ok) passed += 1;
  else {
    failed += 1;
    failures.push(detail ? `${what}: ${detail}` : what);
  }
  return ok;
}

/** `npm start` with its output kept; resolves once its banner is printed. */
function start(args) {
  const child = spawn(process.execPath, [join(root, 'scripts', 'start.mjs'), ...args], {
    cwd: root,
    env: { ...process.env, CALLWAKE_DATA_DIR: data },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no banner within 5 minutes')), STARTUP_MS);
    const read = (chunk) => {
      output += chunk;
      if (output.includes('callwake is running')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    exited.then((code) => reject(new Error(`npm start exited (${code}) before its banner`)));
  });
  return { child, ready, exited, output: () => output };
}

/** Ctrl-C as a terminal sends it, then waits for the data to be saved and the stack gone. */
async function stop(stack) {
  stack.child.kill('SIGINT');
  const timer = setTimeout(() => stack.child.kill('SIGKILL'), 120_000);
  const code = await stack.exited;
  clearTimeout(timer);
  return code;
}

const pbx = (key) => ({ Authorization: `Bearer ${key}`, Accept: 'application/json' });
async function call(method, path, key, form) {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: pbx(key),
    body: form ? new globalThis.URLSearchParams(form) : undefined,
  });
  const text = await res.text();
  let json = {};
  try {
    json = JSON.parse(text);
  } catch {
    // reported through the status below
  }
  return { status: res.status, json, text };
}

function cli(...args) {
  const run = spawnSync(process.execPath, [join(root, 'bin', 'callwake.js'), ...args, '--json'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, FIRESTORE_EMULATOR_HOST: '127.0.0.1:8080' },
  });
  if (run.status !== 0) throw new Error(`callwake ${args.join(' ')}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** A Firestore REST value for a string or a whole number. */
const value = (v) => (typeof v === 'number' ? { integerValue: String(v) } : { stringValue: v });

/**
 * A call ringing past its deadline that nothing but the expireCalls schedule ends: written
 * straight to the emulator, never through the API (no GET nor long-poll can end it: its call_id
 * is asked for by no one), and created `cancelled` then turned `ringing`, so onCallWritten
 * schedules no deadline task for it (it does so only for a call created ringing) and, with no
 * cancel job, does nothing at all.
 */
async function writeOverdueCall(tenant) {
  const callUuid = randomUUID();
  const now = Date.now();
  const fields = {
    tenant,
    callId: `overdue.${now}`,
    callUuid,
    extension: '1001',
    sipCallId: `overdue.${now}`,
    status: 'cancelled',
    ringTimeout: 5,
    createdAt: now - 6_000,
    expiresAt: now - 1_000,
    devices: 0,
    pushed: 0,
  };
  const doc = `${DOCUMENTS}/tenants/${tenant}/calls/${callUuid}`;
  const created = await fetch(`${DOCUMENTS}/tenants/${tenant}/calls?documentId=${callUuid}`, {
    method: 'POST',
    headers: OWNER,
    body: JSON.stringify({
      fields: {
        ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, value(v)])),
        deliveries: { mapValue: { fields: {} } },
      },
    }),
  });
  if (!created.ok) throw new Error(`writing the overdue call: HTTP ${created.status}`);
  const ringing = await fetch(`${doc}?updateMask.fieldPaths=status`, {
    method: 'PATCH',
    headers: OWNER,
    body: JSON.stringify({ fields: { status: value('ringing') } }),
  });
  if (!ringing.ok) throw new Error(`making the overdue call ring: HTTP ${ringing.status}`);
  return { doc, expiresAt: fields.expiresAt };
}

/** `read()` every `stepMs` until `done(value)` holds or the deadline passes; the last value. */
async function poll(read, done, deadline, stepMs) {
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, stepMs));
    value = await read();
  }
  return value;
}

/** The stored call's fields once `done(fields)` holds, or the last read at the deadline. */
async function waitForFields(doc, done, deadline) {
  const read = async () => {
    const res = await fetch(doc, { headers: OWNER });
    return res.ok ? ((await res.json()).fields ?? {}) : {};
  };
  return poll(read, done, deadline, 500);
}

async function firstRun() {
  const stack = start([]);
  try {
    await stack.ready;
    check(true, 'npm start came up');
    const { key } = cli('tenants', 'create', 'stackcheck');
    const overdue = await writeOverdueCall('stackcheck');
    const writtenAt = Date.now();
    const device = await call('PUT', '/v1/extensions/1001/devices/pixel', key, {
      platform: 'android',
      fcm_token: `fcm_${'s'.repeat(60)}`,
    });
    check(device.status === 201 || device.status === 200, 'the CLI-made key registers a device');
    const callId = `stack.${Date.now()}`;
    const ring = await call('POST', '/v1/calls', key, {
      call_id: callId,
      to: '1001',
      ring_timeout: '5',
    });
    check(ring.json.status === 'ringing', 'a call with ring_timeout=5 rings', ring.text);
    const shown = await call('GET', `/v1/calls/${encodeURIComponent(callId)}`, key);
    const expiresAt = Date.parse(shown.json.expires_at);
    const polled = await call('GET', `/v1/calls/${encodeURIComponent(callId)}?wait=25`, key);
    const returned = Date.now();
    check(
      polled.json.status === 'missed' && returned < expiresAt + 10_000,
      'the long-poll returns missed at the deadline',
      `${returned - expiresAt} ms after it`,
    );
    const got = await call('GET', `/v1/calls/${encodeURIComponent(callId)}`, key);
    check(got.json.status === 'missed', 'GET says missed', got.json.status);
    const doc = await waitForDocument(ring.json.call_uuid, returned + 30_000);
    check(doc === 'missed', 'the call document says missed', doc);
    // expireCalls runs from scripts/schedules.mjs on its schedule, and nothing else ends this call.
    const ended = await waitForFields(
      overdue.doc,
      (f) => f.status?.stringValue !== 'ringing',
      writtenAt + SCHEDULE_MS,
    );
    // The runner says "ran" once the function's reply is back, which may come after the write
    // it made is seen (a loaded machine): waited for too, within the same bound.
    const ranLine = /^\[schedules\] expireCalls \(every 1 minutes\) ran$/m;
    const ran = await poll(
      () => ranLine.test(stack.output()),
      Boolean,
      writtenAt + SCHEDULE_MS,
      250,
    );
    check(
      ran &&
        ended.status?.stringValue === 'missed' &&
        ended.endReason?.stringValue === 'timeout' &&
        Number(ended.endedAt?.integerValue) === overdue.expiresAt,
      'the expireCalls schedule ran and ended a call past its deadline: missed (timeout)',
      `${ran ? 'ran' : 'no "expireCalls ... ran" line'}; status ${ended.status?.stringValue}, ${Math.round((Date.now() - writtenAt) / 1000)} s after it was written`,
    );
    return { key, callId };
  } finally {
    const code = await stop(stack);
    check(
      existsSync(join(data, 'firebase-export-metadata.json')),
      'Ctrl-C saved the data',
      `exit ${code}`,
    );
  }
}

/** The stored status (the document is named by the call's call_uuid), read through the Firestore emulator's REST API as an owner. */
async function waitForDocument(callUuid, deadline) {
  const url = `http://127.0.0.1:8080/v1/projects/${PROJECT_ID}/databases/(default)/documents/tenants/stackcheck/calls/${callUuid}`;
  const read = async () => {
    const res = await fetch(url, { headers: { Authorization: 'Bearer owner' } });
    return res.ok ? (await res.json()).fields?.status?.stringValue : undefined;
  };
  return poll(read, (status) => status === 'missed', deadline, 250);
}

async function secondRun({ key, callId }) {
  const stack = start([]);
  try {
    await stack.ready;
    check(stack.output().includes('loaded from'), 'the second start loads the saved data');
    const got = await call('GET', `/v1/calls/${encodeURIComponent(callId)}`, key);
    check(
      got.status === 200 && got.json.status === 'missed',
      "the tenant's key works after the restart and the call is kept",
      `HTTP ${got.status}`,
    );
    const ring = await call('POST', '/v1/calls', key, { call_id: `${callId}.2`, to: '1001' });
    check(ring.json.status === 'ringing', 'a new call rings after the restart', ring.text);
  } finally {
    await stop(stack);
  }
}

async function cleanRun({ key, callId }) {
  const stack = start(['--clean']);
  try {
    await stack.ready;
    check(stack.output().includes('empty (--clean)'), 'npm start -- --clean starts empty');
    const got = await call('GET', `/v1/calls/${encodeURIComponent(callId)}`, key);
    check(got.status === 401, 'the key made before --clean answers 401', `HTTP ${got.status}`);
  } finally {
    await stop(stack);
  }
}

try {
  console.log(`local stack in ${data}`);
  const kept = await firstRun();
  await secondRun(kept);
  await cleanRun(kept);
} catch (error) {
  check(false, 'the local stack run', error instanceof Error ? error.message : String(error));
} finally {
  rmSync(data, { recursive: true, force: true });
}
writeSummary({ passed, failed, failures });
console.log(`stack-check: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
