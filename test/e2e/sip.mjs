// The SIP end-to-end run, inside `firebase emulators:exec` (started by
// scripts/e2e-sip.mjs, with `node --import tsx`): callwake on the emulators, Kamailio with
// integrations/kamailio/kamailio.cfg behind a recording proxy, SIPp as the caller and as the
// phone, all on 127.0.0.1. Prints one `e2e-sip-results {...}` line for the caller.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { deleteApp, initializeApp } from 'firebase/app';
import {
  connectAuthEmulator,
  createUserWithEmailAndPassword,
  getAuth,
  signInWithEmailAndPassword,
} from 'firebase/auth';
import {
  canonicalRequest,
  parseSignedBasic,
  signatureMatches,
} from '../../functions/core/access/pbxSignature.ts';
import { leaksIn, replayAll } from './pbxSecrets.ts';
import { authorizations, RecordingProxy } from './recordingProxy.ts';
import {
  BASE_URL,
  CFG,
  PROJECT_ID,
  WORK,
  api,
  assert,
  callIdFor,
  callwakeUp,
  cancelLines,
  createTenant,
  db,
  eventually,
  expandCallId,
  failSetup,
  formatMs,
  log,
  makeMember,
  percentiles,
  report,
  setupApi,
  sipFlow,
  sipTrace,
  startKamailio,
  stop,
  stopAll,
  test,
  sipp as runSipp,
} from './harness.mjs';

const PORTS = { caller: 5080, phone: 5090 };
// Cancelled calls, for the hang-up -> cancel push p95: the first apart (cancelLines), then 10.
const HANGUPS = 11;
const EXTENSION = '1001';
// An extension the run's fresh tenant never had a device nor a member for.
const UNKNOWN_EXTENSION = '4999';
const DEVICE_ID = 'e2e-phone';
const timings = {};

const sipp = (name, scenario, port, callIdPattern) =>
  runSipp(name, scenario, port, callIdPattern, EXTENSION);

// ---------------------------------------------------------------- setup

/** The phone's app: a Firebase user signed in on the Auth emulator. */
async function signInPhone() {
  const name = `e2e-phone-${randomBytes(5).toString('hex')}`;
  const app = initializeApp({ projectId: PROJECT_ID, apiKey: 'demo-api-key' }, name);
  const auth = getAuth(app);
  connectAuthEmulator(auth, `http://${process.env.FIREBASE_AUTH_EMULATOR_HOST}`, {
    disableWarnings: true,
  });
  await createUserWithEmailAndPassword(auth, `${name}@example.test`, `pw-${name}`);
  // Signed in again, as test/support/app.ts explains (the API checks token revocation).
  const { user } = await signInWithEmailAndPassword(auth, `${name}@example.test`, `pw-${name}`);
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
    unsubscribe = db()
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

/** One call cancelled by the caller while the phone rings (pushed, then cancelled). */
async function cancelledCall(tenant) {
  const pattern = callIdFor('cancel');
  const callId = expandCallId(pattern);
  const pushed = watchOutbox(callId, (pushes) =>
    pushes.find((p) => p.deviceId === DEVICE_ID && dataOf(p).type === 'incoming_call'),
  );
  const cancelled = watchOutbox(
    callId,
    (pushes) => pushes.find((p) => p.deviceId === DEVICE_ID && dataOf(p).type === 'call_cancelled'),
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
  if (sent) (timings.cancelToCancelPushMs ??= []).push(cancel.createdAt - sent.at);
  // Kamailio's share: the CANCEL until its cancel request reaches callwake (the proxy).
  const told = proxy.requests.find(
    (r) => r.url === `/v1/calls/${encodeURIComponent(callId)}/cancel`,
  );
  if (sent && told) (timings.cancelToCancelRequestMs ??= []).push(told.at - sent.at);
  log(`  SIP flow\n      ${sipFlow(trace)}`);
}

// ---------------------------------------------------------------- the run

mkdirSync(join(WORK, 'pids'), { recursive: true });
let kamailio;
let phone;
let proxy;
try {
  await test('the Kamailio config passes kamailio -c', () => {
    const check = spawnSync('kamailio', ['-c', '-f', CFG], { encoding: 'utf8', timeout: 20_000 });
    assert(check.status === 0, `kamailio -c failed:\n${check.stdout}${check.stderr}`);
  });

  await callwakeUp();

  const tenant = await createTenant('outbox');
  log(`tenant ${tenant.id} (outbox mode)`);
  phone = await signInPhone();
  await makeMember(tenant, EXTENSION, phone);
  const device = await setupApi('PUT', `/v1/app/devices/${DEVICE_ID}`, {
    bearer: await phone.idToken(),
    form: {
      extension: EXTENSION,
      platform: 'android',
      fcm_token: `fcm_e2e_${randomBytes(24).toString('base64url')}`,
    },
  });
  assert(device.status === 201, `device: ${device.status} ${device.text}`);

  // Kamailio reaches callwake through a proxy that records what it sends.
  proxy = new RecordingProxy(new URL(BASE_URL));
  const proxyUrl = await proxy.start();
  kamailio = await startKamailio(tenant, 'kamailio', proxyUrl);
  log(`Kamailio up, reaching callwake through ${proxyUrl}`);

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

  await test(`the caller cancels while ringing (${HANGUPS} calls): the call is cancelled, the phone gets the cancel push`, async () => {
    for (let i = 0; i < HANGUPS; i += 1) await cancelledCall(tenant);
  });
  await test('an INVITE to an extension callwake never had: 404 Not Found, no ringing, nothing pushed', async () => {
    const pattern = callIdFor('unknown');
    const callId = expandCallId(pattern);
    const caller = runSipp(
      'caller-unknown',
      'uac_not_found.xml',
      PORTS.caller,
      pattern,
      UNKNOWN_EXTENSION,
    );
    const run = await caller.done;
    const trace = sipTrace(caller.messages);
    assert(run.code === 0, `caller SIPp exited ${run.code}\n      ${sipFlow(trace)}`);
    const final = trace.find((e) => !e.sent && /^SIP\/2\.0 [2-6]\d\d/.test(e.line));
    assert(final?.line === 'SIP/2.0 404 Not Found', `final answer: ${final?.line}`);
    // callwake's own answer, which the 404 stands for.
    const call = await api('GET', `/v1/calls/${encodeURIComponent(callId)}`, {
      bearer: tenant.key,
    });
    assert(call.json.status === 'unknown_extension', `call status ${call.json.status}`);
    const pushed = await db().collection('pushOutbox').where('callId', '==', callId).get();
    assert(pushed.empty, `${pushed.size} pushes stored`);
    log(`  SIP flow\n      ${sipFlow(trace)}`);
  });

  await test('every request Kamailio sent is signed (HTTP Basic, sha256), matching the request; its log holds no key, secret or credential; no request authenticates again', async () => {
    const problems = [];
    for (const r of proxy.requests) {
      const [auth, ...more] = authorizations(r);
      const pair = Buffer.from((auth ?? '').replace(/^Basic /, ''), 'base64').toString();
      const colon = pair.indexOf(':');
      const credential = parseSignedBasic(pair.slice(0, colon), pair.slice(colon + 1));
      const canonical = credential && canonicalRequest(r.method, r.url, credential, r.body);
      if (more.length > 0 || !credential || credential.alg !== 'sha256') {
        problems.push(`${r.method} ${r.url}: Authorization ${auth ? 'not signed' : 'missing'}`);
      } else if (!signatureMatches(tenant.signingSecret, credential, canonical)) {
        problems.push(`${r.method} ${r.url}: the signature does not match the request`);
      }
    }
    assert(proxy.requests.length >= 4, `${proxy.requests.length} requests recorded`);
    assert(problems.length === 0, problems.join('\n     '));
    // Everything Kamailio wrote (it logs to stderr, -E), once it has stopped.
    const stopped = kamailio;
    await stopAll(stopped);
    kamailio = undefined;
    const logged = stopped.output();
    const leaks = leaksIn(logged, { apiKey: tenant.key, signingSecret: tenant.signingSecret });
    assert(leaks.length === 0, `found in Kamailio's log: ${leaks.join('; ')}`);
    const replays = await replayAll(proxy.requests, BASE_URL);
    assert(replays.problems.length === 0, replays.problems.join('\n     '));
    log(
      `  ${proxy.requests.length} requests, each signed; ${logged.length} bytes of Kamailio log: no key, secret or credential; ${replays.replayed} replayed and ${replays.moved} credentials moved to another request, all refused 401`,
    );
  });
} catch (err) {
  failSetup(err);
} finally {
  await stopAll(kamailio);
  await proxy?.close();
  if (phone) await deleteApp(phone.app).catch(() => {});
}

const fmt = formatMs;
log('timings:');
log(`  INVITE -> push rendered (outbox createdAt): ${fmt(timings.inviteToPushMs)}`);
log(`  INVITE -> 180 Ringing from Kamailio (callwake answered): ${fmt(timings.inviteTo180Ms)}`);
log(`  accept (app API) -> 200 OK at the caller: ${fmt(timings.acceptTo200OkMs)}`);
for (const line of cancelLines(
  'CANCEL -> cancel push rendered (callwake-API flow)',
  timings.cancelToCancelPushMs,
)) {
  log(line);
}
log(
  `  of which CANCEL -> Kamailio's cancel request at callwake: ${percentiles(timings.cancelToCancelRequestMs)}`,
);
log(`Kamailio log: ${join(WORK, 'kamailio.log')}; SIPp traces: ${WORK}/*.messages.log`);
report(timings);
