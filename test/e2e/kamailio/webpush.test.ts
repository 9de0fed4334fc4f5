/**
 * RFC 8599 §12 end to end, inside `firebase emulators:exec` (scripts/e2e-sip.mjs): a browser
 * softphone's SIP stack, played by SIPp, registers through Kamailio
 * (integrations/kamailio/kamailio.cfg) with pn-provider=webpush. It first asks with pn-provider
 * alone and gets callwake's VAPID key in Feature-Caps (+sip.vapid); subscribes at the fake push
 * service with that key; registers the subscription's URI as pn-prid. Then it sleeps (SIPp exits;
 * the binding stays), a SIPp caller's INVITE is held while callwake sends the payload-less push
 * RFC 8599 describes to the fake push service, and the woken SIP stack's REGISTER makes Kamailio
 * fork the INVITE to it; it answers.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { callPath, createTenant, db, type TestTenant } from '../../support/emulator';
import { startProviders, stopProviders, type Providers } from '../../support/providers';
import { SUITE_TIMEOUT_MS } from '../../support/wait';
import { api, callOf, callwakeUp, setupApi } from './callwake';
import { eventually } from './eventually';
import { formatMs, log, logTimings } from './figures';
import { startKamailio } from './kamailio';
import { stop, stopAll, WORK, type Child } from './processes';
import {
  callIdFor,
  expandCallId,
  sipFlow,
  sipp,
  sipTrace,
  wakeMessages,
  type SipEvent,
} from './sipp';

const EXTENSION = '2004';
// The query comes from another port, as a browser's SIP stack gets a new WebSocket contact per
// session: its pn-provider-only binding stays until it expires, and Kamailio never pushes it.
const PORTS = { query: 5131, browser: 5130, caller: 5084 };

/** A SIPp REGISTER from the browser's SIP stack with push parameters `pn`; its 200 OK. */
async function register(label: string, port: number, pn: string, instance: string) {
  const run = sipp(
    `browser-${label}`,
    'uac_webpush_register.xml',
    port,
    callIdFor(`webpush-${label}`),
    EXTENSION,
    { pn, instance },
  );
  const { code } = await run.done;
  const trace = sipTrace(run.messages);
  assert(code === 0, `REGISTER (${label}): SIPp exited ${code}\n      ${sipFlow(trace)}`);
  const ok = trace.find((e) => !e.sent && e.line.startsWith('SIP/2.0 200'));
  assert(ok, `no 200 to the REGISTER (${label})\n      ${sipFlow(trace)}`);
  return ok;
}

const featureCaps = (message: SipEvent) =>
  /^Feature-Caps:\s*(.*)$/im.exec(message.text)?.[1]?.trim() ?? '';

describe('a browser softphone through Kamailio (RFC 8599 webpush, the fake Web Push service)', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  const timings: {
    inviteToPushMs?: number;
    reRegisterToForkedInviteMs?: number;
    inviteTo200OkMs?: number;
  } = {};
  let kamailio: Child | undefined;
  let fakes: Providers | undefined;
  let tenant: TestTenant;
  let vapid: string | undefined;
  const instance = randomUUID();
  let subscription: { endpoint: string };
  let pn: string;

  before(async () => {
    await callwakeUp();
    fakes = await startProviders();
    tenant = await createTenant('live');
    log(`tenant ${tenant.id} (live, fake Web Push service ${fakes.webPush.origin})`);
    const key = await setupApi('GET', '/v1/webpush/public-key', { bearer: tenant.key });
    assert(key.status === 200, `public key: ${key.status} ${key.text}`);
    vapid = key.json.public_key;
    kamailio = await startKamailio(tenant, 'kamailio-webpush');
  });

  after(async () => {
    await stopAll(kamailio);
    if (fakes) await stopProviders();
    log('RFC 8599 webpush timings (SIPp as the browser SIP stack):');
    log(
      `  INVITE -> payload-less push at the fake push service: ${formatMs(timings.inviteToPushMs)}`,
    );
    log(
      `  re-REGISTER -> INVITE forked to the browser: ${formatMs(timings.reRegisterToForkedInviteMs)}`,
    );
    log(`  INVITE -> 200 OK at the caller: ${formatMs(timings.inviteTo200OkMs)}`);
    log(
      `SIPp traces: ${WORK}/browser-*.messages.log; Kamailio log: ${join(WORK, 'kamailio-webpush.log')}`,
    );
    logTimings('webpush', timings);
  });

  it('a webpush REGISTER without pn-prid learns the VAPID key: Feature-Caps +sip.vapid, no device', async () => {
    const ok = await register('query', PORTS.query, ';pn-provider=webpush', instance);
    assert(
      featureCaps(ok) === `*;+sip.pns="webpush";+sip.vapid="${String(vapid)}"`,
      `Feature-Caps: ${featureCaps(ok)}`,
    );
    const devices = await api('GET', `/v1/extensions/${EXTENSION}/devices`, { bearer: tenant.key });
    assert(devices.json.count === 0, `devices: ${devices.text}`);
  });

  it('the browser subscribes with that key and registers pn-prid: a callwake device, +sip.vapid again', async () => {
    // The browser's PushManager.subscribe({applicationServerKey: <+sip.vapid>}), at its vendor's
    // push service: here the fake, which then refuses pushes signed with any other key.
    subscription = fakes!.webPush.subscribe({ applicationServerKey: vapid });
    pn = `;pn-provider=webpush;pn-prid=${subscription.endpoint}`;
    const ok = await register('subscribed', PORTS.browser, pn, instance);
    assert(
      featureCaps(ok) === `*;+sip.pns="webpush";+sip.vapid="${String(vapid)}"`,
      `Feature-Caps: ${featureCaps(ok)}`,
    );
    const devices = await api('GET', `/v1/extensions/${EXTENSION}/devices`, { bearer: tenant.key });
    const [device] = devices.json.devices ?? [];
    assert(device?.platform === 'web' && device.webpush_payload === false, devices.text);
    assert(
      String(device.webpush_endpoint).startsWith(`${fakes!.webPush.origin}/`),
      String(device.webpush_endpoint),
    );
  });

  it('asleep: INVITE held, payload-less push at the push service, re-REGISTER forks the INVITE, 200 OK', async () => {
    const webPush = fakes!.webPush;
    const pattern = callIdFor('webpush-call');
    const callId = expandCallId(pattern);
    const caller = sipp('caller-webpush', 'uac_invite.xml', PORTS.caller, pattern, EXTENSION);
    let push;
    try {
      push = await eventually(
        () => webPush.requestsFor(subscription.endpoint).find((r) => r.status === 201),
        'the push at the fake Web Push service',
        20_000,
      );
    } catch (err) {
      stop(caller.child, 'SIGKILL');
      throw err;
    }
    assert(push.bodyBytes === 0 && push.payload === undefined, 'a push with no payload');
    assert(push.vapid?.key === vapid, 'signed with the advertised VAPID key');
    assert(
      push.urgency === 'high' && push.ttl !== undefined && push.ttl > 0 && push.ttl <= 30,
      `TTL ${String(push.ttl)}`,
    );
    const [delivered] = webPush.deliveredTo(subscription.endpoint);
    assert(delivered, 'the browser got the push');
    // The browser's service worker wakes its SIP stack, which registers again.
    const callee = sipp('browser-wake', 'uas_webpush_wake.xml', PORTS.browser, callId, EXTENSION, {
      pn,
      instance,
    });
    const [callerRun, calleeRun] = await Promise.all([caller.done, callee.done]);
    const callerTrace = sipTrace(caller.messages);
    const calleeTrace = sipTrace(callee.messages);
    const flows = `caller:\n      ${sipFlow(callerTrace)}\n    browser:\n      ${sipFlow(calleeTrace)}`;
    assert(
      callerRun.code === 0 && calleeRun.code === 0,
      `SIPp exited ${callerRun.code}/${calleeRun.code}\n    ${flows}`,
    );
    const { invite, ok, reRegister, forked } = wakeMessages(callerTrace, calleeTrace, flows);
    assert(!/pn-/i.test(forked.line), `the forked INVITE carries pn-*: ${forked.line}`);
    timings.inviteToPushMs = push.receivedAt - invite.at;
    timings.reRegisterToForkedInviteMs = forked.at - reRegister.at;
    timings.inviteTo200OkMs = ok.at - invite.at;
    const call = await eventually(async () => {
      const reply = await callOf(tenant, callId);
      return reply.json.status === 'cancelled' && reply.json;
    }, 'the call to end as answered on SIP');
    assert(call.end_reason === 'answered_elsewhere', `end_reason ${String(call.end_reason)}`);
    // Once the call's cancel job is done, the browser still has had one push only.
    const stored = db().doc(callPath(tenant.id, callId));
    await eventually(
      async () =>
        ((await stored.get()).data() as { cancel?: { state?: string } } | undefined)?.cancel
          ?.state === 'sent',
      'the cancel job to finish',
    );
    assert(
      webPush.requestsFor(subscription.endpoint).length === 1,
      'no cancel push to a browser whose pushes carry no payload',
    );
    log(`  SIP flow\n    ${flows}`);
  });
});
