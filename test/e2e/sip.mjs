// The SIP end-to-end run, inside `firebase emulators:exec` (started by
// scripts/e2e-sip.mjs): callwake on the emulators, Kamailio with
// integrations/kamailio/kamailio.cfg, SIPp as the caller and as the phone,
// all on 127.0.0.1. Prints one `e2e-sip-results {...}` line for the caller.
/* global AbortSignal */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, URLSearchParams } from 'node:url';
import { initializeApp as initializeAdmin } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { deleteApp, initializeApp } from 'firebase/app';
import { connectAuthEmulator, createUserWithEmailAndPassword, getAuth } from 'firebase/auth';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const WORK = join(ROOT, '.cache', 'e2e-sip');
const KAMAILIO_PID_FILE = join(WORK, 'kamailio.run.pid');
const PROJECT_ID = 'demo-callwake';
const BASE_URL = `http://127.0.0.1:5001/${PROJECT_ID}/us-central1/api`;
const CFG = join(ROOT, 'integrations', 'kamailio', 'kamailio.cfg');
const HOST = '127.0.0.1';
const PORTS = { kamailio: 5070, caller: 5080, phone: 5090 };
const EXTENSION = '1001';
const DEVICE_ID = 'e2e-phone';

const results = [];
const timings = {};
const children = new Set();
const log = (...args) => console.log('[e2e-sip]', ...args);

// ---------------------------------------------------------------- helpers

/** Polls `probe` until it returns something truthy, or fails after `ms`. */
async function eventually(probe, what, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** One request to callwake's API: a form body, JSON back. */
async function api(method, path, { bearer, form } = {}) {
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

/** Starts a child process in its own process group, so it and its children can be ended together. */
function start(name, command, args, logFile) {
  const child = spawn(command, args, {
    cwd: WORK,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk) => {
    output += chunk;
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
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
  writeFileSync(join(WORK, 'pids', `${name}.pid`), `${child.pid} ${command}\n`);
  return { name, child, done, output: () => output };
}

function stop(child, signal = 'SIGTERM') {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** SIPp on 127.0.0.1 only, one call, bounded by its own global timeout. */
function sipp(name, scenario, port, callIdPattern) {
  const messages = join(WORK, `${name}.messages.log`);
  const args = [
    `${HOST}:${PORTS.kamailio}`,
    ['-sf', join(HERE, scenario)],
    ['-s', EXTENSION],
    ['-i', HOST],
    ['-mi', HOST],
    ['-mp', String(port + 1000)],
    ['-p', String(port)],
    '-bind_local',
    ['-m', '1'],
    ['-cid_str', callIdPattern],
    '-trace_msg',
    ['-message_file', messages],
    '-trace_err',
    ['-error_file', join(WORK, `${name}.errors.log`)],
    ['-recv_timeout', '30000'],
    ['-timeout', '45s'],
    '-timeout_error',
    '-nostdin',
  ].flat();
  const run = start(name, 'sipp', args, join(WORK, `${name}.out.log`));
  return { ...run, messages };
}

/**
 * The SIP messages SIPp logged (-trace_msg): time (ms since the epoch),
 * direction and first line. SIPp stamps them in local time.
 */
function sipTrace(file) {
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
    entries.push({ at, sent: /sent/.test(what), line: firstLine.trim(), cseq });
  }
  return entries;
}

function sipFlow(trace) {
  return trace.map((e) => `${e.sent ? '->' : '<-'} ${e.line} (${e.cseq})`).join('\n      ');
}

async function test(name, body) {
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

// ---------------------------------------------------------------- setup

const admin = initializeAdmin({ projectId: PROJECT_ID }, 'e2e-sip');
const db = getFirestore(admin);

/** A tenant in outbox mode with its own API key, as test/support/emulator.ts makes them. */
async function createTenant() {
  const id = `t-e2e-${randomBytes(5).toString('hex')}`;
  const key = `cwk_test_${randomBytes(18).toString('base64url')}`;
  const hash = createHash('sha256').update(key).digest('hex');
  await db.doc(`tenants/${id}`).set({ name: id, pushMode: 'outbox' });
  await db.doc(`apiKeys/${hash}`).set({ tenant: id, createdAt: Date.now() });
  return { id, key };
}

/** The phone's app: a Firebase user signed in on the Auth emulator. */
async function signInPhone() {
  const name = `e2e-phone-${randomBytes(5).toString('hex')}`;
  const app = initializeApp({ projectId: PROJECT_ID, apiKey: 'demo-api-key' }, name);
  const auth = getAuth(app);
  connectAuthEmulator(auth, `http://${process.env.FIREBASE_AUTH_EMULATOR_HOST}`, {
    disableWarnings: true,
  });
  const { user } = await createUserWithEmailAndPassword(auth, `${name}@example.test`, `pw-${name}`);
  return { app, uid: user.uid, idToken: () => user.getIdToken() };
}

/** Resolves with the pushes stored for `callId` once `accept(pushes)` holds. */
function watchOutbox(callId, accept, ms = 20_000) {
  let unsubscribe = () => {};
  const found = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no matching push in pushOutbox for ${callId} within ${ms} ms`));
    }, ms);
    unsubscribe = db
      .collection('pushOutbox')
      .where('callId', '==', callId)
      .onSnapshot(
        (snap) => {
          const pushes = snap.docs.map((d) => d.data());
          const match = accept(pushes);
          if (match) {
            clearTimeout(timer);
            unsubscribe();
            resolve(match);
          }
        },
        (err) => {
          clearTimeout(timer);
          reject(err);
        },
      );
  });
  return found;
}

const dataOf = (push) => push?.body?.message?.data ?? {};

/** Kamailio in the foreground (-DD), logging to stderr, in its own process group. */
async function startKamailio(key) {
  const args = [
    '-DD',
    '-E',
    ['-f', CFG],
    ['-P', KAMAILIO_PID_FILE],
    ['-Y', WORK],
    ['-m', '64'],
    ['-M', '8'],
    ['-A', `CALLWAKE_URL="${BASE_URL}"`],
    ['-A', `CALLWAKE_KEY="${key}"`],
    ['-A', `SIP_ADDR=${HOST}`],
    ['-A', `SIP_PORT=${PORTS.kamailio}`],
    ['-A', 'RING_TIMEOUT=30'],
  ].flat();
  const kamailio = start('kamailio', 'kamailio', args, join(WORK, 'kamailio.log'));
  // Ready when it answers an OPTIONS keepalive.
  await eventually(() => sipOptions(), 'Kamailio to answer OPTIONS on 127.0.0.1:5070', 10_000);
  return kamailio;
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
        `OPTIONS sip:${HOST}:${PORTS.kamailio} SIP/2.0`,
        `Via: SIP/2.0/UDP ${HOST}:${port};branch=${branch}`,
        'Max-Forwards: 70',
        `From: <sip:probe@${HOST}>;tag=${randomBytes(4).toString('hex')}`,
        `To: <sip:${HOST}:${PORTS.kamailio}>`,
        `Call-ID: probe-${randomBytes(6).toString('hex')}@${HOST}`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(request, PORTS.kamailio, HOST);
    });
  });
}

const callIdFor = (tag) => `cw-e2e-${tag}-${randomBytes(4).toString('hex')}-%u@${HOST}`;
// SIPp expands %u (the call number: 1, as each run places one call).
const expandCallId = (pattern) => pattern.replace('%u', '1');

// ---------------------------------------------------------------- the run

mkdirSync(join(WORK, 'pids'), { recursive: true });
let kamailio;
let phone;
try {
  await test('the Kamailio config passes kamailio -c', () => {
    const check = spawnSync('kamailio', ['-c', '-f', CFG], { encoding: 'utf8', timeout: 20_000 });
    assert(check.status === 0, `kamailio -c failed:\n${check.stdout}${check.stderr}`);
  });

  // Load the functions once, so the first call is not timed with a cold start.
  const health = await eventually(
    async () => (await api('GET', '/v1/health').catch(() => ({ status: 0 }))).status === 200,
    'GET /v1/health',
    30_000,
  );
  assert(health, 'callwake is not up');

  const tenant = await createTenant();
  log(`tenant ${tenant.id} (outbox mode)`);
  phone = await signInPhone();
  const member = await api('PUT', `/v1/extensions/${EXTENSION}/members/${phone.uid}`, {
    bearer: tenant.key,
  });
  assert(member.status === 201, `member: ${member.status} ${member.text}`);
  const device = await api('PUT', `/v1/app/devices/${DEVICE_ID}`, {
    bearer: await phone.idToken(),
    form: {
      extension: EXTENSION,
      platform: 'android',
      fcm_token: `fcm_e2e_${randomBytes(24).toString('base64url')}`,
    },
  });
  assert(device.status === 201, `device: ${device.status} ${device.text}`);

  kamailio = await startKamailio(tenant.key);
  log(`Kamailio up on ${HOST}:${PORTS.kamailio}`);

  await test('a call to a sleeping phone: INVITE held, push, REGISTER, 200 OK, ACK, BYE', async () => {
    const pattern = callIdFor('answer');
    const callId = expandCallId(pattern);
    const pushed = watchOutbox(callId, (pushes) =>
      pushes.find((p) => p.deviceId === DEVICE_ID && dataOf(p).type === 'incoming_call'),
    );
    const caller = sipp('caller-answer', 'uac_invite.xml', PORTS.caller, pattern);
    let push;
    try {
      push = await pushed;
    } catch (err) {
      stop(caller.child, 'SIGKILL');
      throw err;
    }
    const data = dataOf(push);
    assert(data.sip_call_id === callId, `push sip_call_id ${data.sip_call_id}`);
    assert(data.extension === EXTENSION, `push extension ${data.extension}`);
    assert(data.caller_number === '5551234', `push caller_number ${data.caller_number}`);
    assert(data.caller_name === 'Alice Caller', `push caller_name ${data.caller_name}`);

    // The woken app: acknowledge, accept, then register its SIP account.
    const path = `/v1/app/calls/${encodeURIComponent(callId)}`;
    const ack = await api('POST', `${path}/ack`, {
      bearer: await phone.idToken(),
      form: { device_id: DEVICE_ID },
    });
    assert(ack.status === 200, `ack: ${ack.status} ${ack.text}`);
    const acceptedAt = Date.now();
    const answer = await api('POST', `${path}/answer`, {
      bearer: await phone.idToken(),
      form: { device_id: DEVICE_ID, action: 'accept' },
    });
    assert(answer.status === 200 && answer.json.outcome === 'won', `answer: ${answer.text}`);
    const callee = sipp('phone-answer', 'uas_register_answer.xml', PORTS.phone, callId);

    const [callerRun, calleeRun] = await Promise.all([caller.done, callee.done]);
    const callerTrace = sipTrace(caller.messages);
    const calleeTrace = sipTrace(callee.messages);
    const flows = `caller:\n      ${sipFlow(callerTrace)}\n    phone:\n      ${sipFlow(calleeTrace)}`;
    assert(callerRun.code === 0, `caller SIPp exited ${callerRun.code}\n    ${flows}`);
    assert(calleeRun.code === 0, `phone SIPp exited ${calleeRun.code}\n    ${flows}`);

    const invite = callerTrace.find((e) => e.sent && e.line.startsWith('INVITE'));
    const ringing = callerTrace.find((e) => !e.sent && e.line.startsWith('SIP/2.0 180'));
    const ok = callerTrace.find(
      (e) => !e.sent && /^SIP\/2\.0 200/.test(e.line) && /INVITE/.test(e.cseq),
    );
    assert(invite && ok, `no INVITE/200 OK in the caller's trace\n    ${flows}`);
    timings.inviteToPushMs = push.createdAt - invite.at;
    timings.inviteTo180Ms = ringing ? ringing.at - invite.at : undefined;
    timings.acceptTo200OkMs = ok.at - acceptedAt;

    const call = await api('GET', `/v1/calls/${encodeURIComponent(callId)}`, {
      bearer: tenant.key,
    });
    assert(call.json.status === 'accepted', `call status ${call.json.status}`);
    assert(call.json.answered_by === DEVICE_ID, `answered_by ${call.json.answered_by}`);
    log(`  SIP flow\n    ${flows}`);
  });

  await test('the caller cancels while ringing: the call is cancelled, the phone gets the cancel push', async () => {
    const pattern = callIdFor('cancel');
    const callId = expandCallId(pattern);
    const pushed = watchOutbox(callId, (pushes) =>
      pushes.find((p) => p.deviceId === DEVICE_ID && dataOf(p).type === 'incoming_call'),
    );
    const cancelled = watchOutbox(
      callId,
      (pushes) =>
        pushes.find((p) => p.deviceId === DEVICE_ID && dataOf(p).type === 'call_cancelled'),
      40_000,
    );
    cancelled.catch(() => {}); // awaited below; never an unhandled rejection meanwhile
    const caller = sipp('caller-cancel', 'uac_cancel.xml', PORTS.caller, pattern);
    const push = await pushed.catch((err) => {
      stop(caller.child, 'SIGKILL');
      throw err;
    });
    const run = await caller.done;
    const trace = sipTrace(caller.messages);
    assert(run.code === 0, `caller SIPp exited ${run.code}\n      ${sipFlow(trace)}`);
    const invite = trace.find((e) => e.sent && e.line.startsWith('INVITE'));
    if (invite) timings.cancelScenarioInviteToPushMs = push.createdAt - invite.at;

    const call = await eventually(async () => {
      const reply = await api('GET', `/v1/calls/${encodeURIComponent(callId)}`, {
        bearer: tenant.key,
      });
      return reply.json.status === 'cancelled' && reply;
    }, 'the call to become cancelled');
    assert(call.json.status === 'cancelled', call.text);
    const cancel = await cancelled;
    const data = dataOf(cancel);
    assert(data.reason === 'hangup', `cancel push reason ${data.reason}`);
    assert(data.call_uuid === dataOf(push).call_uuid, 'the cancel names the incoming call');
    const sent = trace.find((e) => e.sent && e.line.startsWith('CANCEL'));
    if (sent) timings.cancelToCancelPushMs = cancel.createdAt - sent.at;
    log(`  SIP flow\n      ${sipFlow(trace)}`);
  });
} catch (err) {
  results.push({ name: 'setup', ok: false, error: String(err?.stack ?? err) });
  log(`FAIL setup\n     ${String(err?.stack ?? err)}`);
} finally {
  for (const child of children) stop(child, 'SIGKILL');
  if (kamailio) {
    stop(kamailio.child, 'SIGTERM');
    await Promise.race([kamailio.done, sleep(3000)]);
    // Its workers can outlive the main process for a moment: end the whole group.
    stop(kamailio.child, 'SIGKILL');
  }
  if (phone) await deleteApp(phone.app).catch(() => {});
}

const fmt = (ms) => (ms === undefined ? 'n/a' : `${Math.round(ms)} ms`);
log('timings:');
log(`  INVITE -> push rendered (outbox createdAt): ${fmt(timings.inviteToPushMs)}`);
log(`  INVITE -> 180 Ringing from Kamailio (callwake answered): ${fmt(timings.inviteTo180Ms)}`);
log(`  accept (app API) -> 200 OK at the caller: ${fmt(timings.acceptTo200OkMs)}`);
log(`  CANCEL -> cancel push rendered: ${fmt(timings.cancelToCancelPushMs)}`);
if (results.some((r) => !r.ok)) {
  log(`Kamailio log: ${join(WORK, 'kamailio.log')}; SIPp traces: ${WORK}/*.messages.log`);
}
const passed = results.filter((r) => r.ok).length;
console.log(
  `e2e-sip-results ${JSON.stringify({ passed, failed: results.length - passed, timings })}`,
);
process.exit(results.every((r) => r.ok) ? 0 : 1);
