/**
 * callwake's API flow through Kamailio, inside `firebase emulators:exec` (scripts/e2e-sip.mjs):
 * callwake on the emulators, Kamailio with integrations/kamailio/kamailio.cfg behind a recording
 * proxy, SIPp as the caller and as the phone, all on 127.0.0.1. The tenant is in outbox mode.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  canonicalRequest,
  parseSignedBasic,
  signatureMatches,
} from '../../../functions/core/access/pbxSignature';
import { signInApp, type TestApp } from '../../support/app';
import { BASE_URL, createTenant, db, type TestTenant } from '../../support/emulator';
import { SUITE_TIMEOUT_MS } from '../../support/wait';
import { leaksIn, replayAll } from '../pbxSecrets';
import { authorizations, RecordingProxy } from '../recordingProxy';
import { api, callOf, callwakeUp, makeMember, setupApi } from './callwake';
import { eventually } from './eventually';
import { cancelLines, formatMs, log, logTimings, percentiles } from './figures';
import { CFG, startKamailio } from './kamailio';
import { dataOf, pushOf, watchOutbox } from './outbox';
import { stop, stopAll, WORK, type Child } from './processes';
import { callIdFor, expandCallId, sipFlow, sipp as runSipp, sipTrace } from './sipp';

const PORTS = { caller: 5080, phone: 5090 };
// Cancelled calls, for the hang-up -> cancel push p95: the first apart (cancelLines), then 10.
const HANGUPS = 11;
const EXTENSION = '1001';
// An extension the run's fresh tenant never had a device nor a member for.
const UNKNOWN_EXTENSION = '4999';
const DEVICE_ID = 'e2e-phone';

const sipp = (name: string, scenario: string, port: number, callIdPattern: string) =>
  runSipp(name, scenario, port, callIdPattern, EXTENSION);

describe('Kamailio and SIPp against callwake (outbox mode)', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  const timings: {
    inviteToPushMs?: number;
    inviteTo180Ms?: number | undefined;
    acceptTo200OkMs?: number;
    cancelScenarioInviteToPushMs?: number;
    cancelToCancelPushMs?: number[];
    cancelToCancelRequestMs?: number[];
  } = {};
  let tenant: TestTenant;
  let phone: TestApp | undefined;
  let proxy: RecordingProxy | undefined;
  let kamailio: Child | undefined;

  after(async () => {
    await stopAll(kamailio);
    await proxy?.close();
    if (phone) await phone.close().catch(() => undefined);
    log('timings:');
    log(`  INVITE -> push rendered (outbox createdAt): ${formatMs(timings.inviteToPushMs)}`);
    log(
      `  INVITE -> 180 Ringing from Kamailio (callwake answered): ${formatMs(timings.inviteTo180Ms)}`,
    );
    log(`  accept (app API) -> 200 OK at the caller: ${formatMs(timings.acceptTo200OkMs)}`);
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
    logTimings('sip', timings);
  });

  it('the Kamailio config passes kamailio -c', () => {
    const check = spawnSync('kamailio', ['-c', '-f', CFG], { encoding: 'utf8', timeout: 20_000 });
    assert(check.status === 0, `kamailio -c failed:\n${check.stdout}${check.stderr}`);
  });

  /** One call cancelled by the caller while the phone rings (pushed, then cancelled). */
  async function cancelledCall(proxy: RecordingProxy): Promise<void> {
    const pattern = callIdFor('cancel');
    const callId = expandCallId(pattern);
    const pushed = watchOutbox(callId, (pushes) => pushOf(pushes, DEVICE_ID, 'incoming_call'));
    const cancelled = watchOutbox(
      callId,
      (pushes) => pushOf(pushes, DEVICE_ID, 'call_cancelled'),
      40_000,
    );
    cancelled.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
    const caller = sipp('caller-cancel', 'uac_cancel.xml', PORTS.caller, pattern);
    const push = await pushed.catch((err: unknown) => {
      stop(caller.child, 'SIGKILL');
      throw err;
    });
    const run = await caller.done;
    const trace = sipTrace(caller.messages);
    assert(run.code === 0, `caller SIPp exited ${run.code}\n      ${sipFlow(trace)}`);
    const invite = trace.find((e) => e.sent && e.line.startsWith('INVITE'));
    if (invite) timings.cancelScenarioInviteToPushMs = push.createdAt - invite.at;

    const call = await eventually(async () => {
      const reply = await callOf(tenant, callId);
      return reply.json.status === 'cancelled' && reply;
    }, 'the call to become cancelled');
    assert(call.json.status === 'cancelled', call.text);
    const cancel = await cancelled;
    const data = dataOf(cancel);
    assert(data.reason === 'hangup', `cancel push reason ${String(data.reason)}`);
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

  describe('calls through a recording proxy', () => {
    before(async () => {
      await callwakeUp();
      tenant = await createTenant('outbox');
      log(`tenant ${tenant.id} (outbox mode)`);
      phone = await signInApp();
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
    });

    it('a call to a sleeping phone: INVITE held, push, REGISTER, 200 OK, ACK, BYE', async () => {
      const app = phone!;
      const pattern = callIdFor('answer');
      const callId = expandCallId(pattern);
      const pushed = watchOutbox(callId, (pushes) => pushOf(pushes, DEVICE_ID, 'incoming_call'));
      const caller = sipp('caller-answer', 'uac_invite.xml', PORTS.caller, pattern);
      const push = await pushed.catch((err: unknown) => {
        stop(caller.child, 'SIGKILL');
        throw err;
      });
      const data = dataOf(push);
      assert(data.sip_call_id === callId, `push sip_call_id ${String(data.sip_call_id)}`);
      assert(data.extension === EXTENSION, `push extension ${String(data.extension)}`);
      assert(data.caller_number === '5551234', `push caller_number ${String(data.caller_number)}`);
      assert(data.caller_name === 'Alice Caller', `push caller_name ${String(data.caller_name)}`);

      // The woken app: acknowledge, accept, then register its SIP account.
      const path = `/v1/app/calls/${encodeURIComponent(callId)}`;
      const ack = await api('POST', `${path}/ack`, {
        bearer: await app.idToken(),
        form: { device_id: DEVICE_ID },
      });
      assert(ack.status === 200, `ack: ${ack.status} ${ack.text}`);
      const acceptedAt = Date.now();
      const answer = await api('POST', `${path}/answer`, {
        bearer: await app.idToken(),
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
        (e) => !e.sent && e.line.startsWith('SIP/2.0 200') && e.cseq.includes('INVITE'),
      );
      assert(invite && ok, `no INVITE/200 OK in the caller's trace\n    ${flows}`);
      timings.inviteToPushMs = push.createdAt - invite.at;
      timings.inviteTo180Ms = ringing ? ringing.at - invite.at : undefined;
      timings.acceptTo200OkMs = ok.at - acceptedAt;

      const call = await callOf(tenant, callId);
      assert(call.json.status === 'accepted', `call status ${String(call.json.status)}`);
      assert(call.json.answered_by === DEVICE_ID, `answered_by ${String(call.json.answered_by)}`);
      log(`  SIP flow\n    ${flows}`);
    });

    it(`the caller cancels while ringing (${HANGUPS} calls): the call is cancelled, the phone gets the cancel push`, async () => {
      for (let i = 0; i < HANGUPS; i += 1) await cancelledCall(proxy!);
    });

    it('an INVITE to an extension callwake never had: 404 Not Found, no ringing, nothing pushed', async () => {
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
      assert(final?.line === 'SIP/2.0 404 Not Found', `final answer: ${String(final?.line)}`);
      // callwake's own answer, which the 404 stands for.
      const call = await callOf(tenant, callId);
      assert(call.json.status === 'unknown_extension', `call status ${String(call.json.status)}`);
      const pushed = await db().collection('pushOutbox').where('callId', '==', callId).get();
      assert(pushed.empty, `${pushed.size} pushes stored`);
      log(`  SIP flow\n      ${sipFlow(trace)}`);
    });

    it('every request Kamailio sent is signed (HTTP Basic, sha256), matching the request; its log holds no key, secret or credential; no request authenticates again', async () => {
      const requests = proxy!.requests;
      const problems: string[] = [];
      for (const r of requests) {
        const [auth, ...more] = authorizations(r);
        const pair = Buffer.from((auth ?? '').replace(/^Basic /, ''), 'base64').toString();
        const colon = pair.indexOf(':');
        const credential = parseSignedBasic(pair.slice(0, colon), pair.slice(colon + 1));
        if (more.length > 0 || credential?.alg !== 'sha256') {
          problems.push(`${r.method} ${r.url}: Authorization ${auth ? 'not signed' : 'missing'}`);
        } else if (
          !signatureMatches(
            tenant.signingSecret,
            credential,
            canonicalRequest(r.method, r.url, credential, r.body),
          )
        ) {
          problems.push(`${r.method} ${r.url}: the signature does not match the request`);
        }
      }
      assert(requests.length >= 4, `${requests.length} requests recorded`);
      assert(problems.length === 0, problems.join('\n     '));
      // Everything Kamailio wrote (it logs to stderr, -E), once it has stopped.
      const stopped = kamailio;
      await stopAll(stopped);
      kamailio = undefined;
      const logged = stopped?.output() ?? '';
      const leaks = leaksIn(logged, { apiKey: tenant.key, signingSecret: tenant.signingSecret });
      assert(leaks.length === 0, `found in Kamailio's log: ${leaks.join('; ')}`);
      const replays = await replayAll(requests, BASE_URL);
      assert(replays.problems.length === 0, replays.problems.join('\n     '));
      log(
        `  ${requests.length} requests, each signed; ${logged.length} bytes of Kamailio log: no key, secret or credential; ${replays.replayed} replayed and ${replays.moved} credentials moved to another request, all refused 401`,
      );
    });
  });
});
