// RFC 8599 end to end with a real softphone, inside `firebase emulators:exec`
// (started by scripts/e2e-sip.mjs, run with `node --import tsx` for the fake
// providers): Debian's linphonec registers through Kamailio
// (integrations/kamailio/kamailio.cfg) with its pn-* parameters, no callwake
// code in it; it is killed (asleep, its binding stays); a SIPp caller's INVITE
// makes callwake push to the fake FCM / APNs; the test plays the phone's OS
// and starts linphonec again, which re-registers; Kamailio forks the held
// INVITE to it and it answers (-a). Also: the caller gives up before the
// phone wakes, a push service callwake does not speak gets 555, and a
// de-registration removes the device. Prints one `e2e-sip-results {...}` line.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  HOST,
  KAMAILIO_PORT,
  ROOT,
  WORK,
  api,
  assert,
  callIdFor,
  callwakeUp,
  createTenant,
  eventually,
  expandCallId,
  failSetup,
  formatMs,
  goalVerdict,
  HANGUP_GOAL_MS,
  log,
  percentiles,
  report,
  sipFlow,
  sipTrace,
  sipp,
  start,
  startKamailio,
  stop,
  stopAll,
  test,
} from './harness.mjs';

// The TypeScript test support (the fake providers), loaded as CommonJS through
// tsx's require hook: its modules find the repository from __dirname.
const require = createRequire(import.meta.url);
const { maskToken } = require('../../functions/core/devices/registerDevice.ts');
const { localConfig } = require('../support/emulator.ts');
const { fcmMessage, startProviders, stopProviders } = require('../support/providers.ts');

const HERE = join(WORK, 'linphone');
const HOME = join(HERE, 'home');
const CALLER_PORT = 5082;
// Cancelled calls, for the hang-up -> cancel push p95 (of 5: the slowest).
const HANGUPS = 5;
let fakes;
const timings = {};

/** FCM_SENDER_ID as the emulated functions read it (.env.<project>): the project number. */
function fcmSenderId() {
  const file = join(ROOT, '.env.demo-callwake');
  const value = /^FCM_SENDER_ID=(\d+)$/m.exec(existsSync(file) ? readFileSync(file, 'utf8') : '');
  assert(value, `${file} sets no FCM_SENDER_ID`);
  return value[1];
}

/**
 * The SIP messages linphonec logged (-d 5): time, direction, first line and
 * text. belle-sip logs `message sent to [...]` or `received [n] new bytes
 * from [...]` with a local timestamp, then the message.
 */
function linphoneTrace(file) {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  const entries = [];
  const stamp =
    /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d):(\d{3}) belle-sip-message-channel \[[^\]]*\]: (message sent to|received \[\d+\] new bytes from)/;
  for (let i = 0; i < lines.length; i += 1) {
    const match = stamp.exec(lines[i]);
    if (!match) continue;
    const [, date, time, ms, how] = match;
    const message = [];
    for (let j = i + 1; j < lines.length && lines[j].trim() !== ''; j += 1) message.push(lines[j]);
    entries.push({
      at: new Date(`${date}T${time}.${ms}`).getTime(),
      sent: how.startsWith('message sent'),
      line: message[0] ?? '',
      text: message.join('\n'),
    });
  }
  return entries;
}

/**
 * One linphonec phone: an account for `extension` on Kamailio with the given
 * push parameters, through liblinphone's own push code ([net]
 * push_notification=1), as Linphone's apps configure it. A fresh rc file on
 * each start: linphonec rewrites it when it exits.
 */
function phone(name, { extension, port, pushParameters, remotePush }) {
  const uuid = randomUUID();
  const rc = join(HERE, `${name}.rc`);
  let run;
  let starts = 0;
  const config = [
    '[sip]',
    `sip_port=${port}`,
    'sip_tcp_port=-1',
    'sip_tls_port=-1',
    'default_proxy=0',
    '[rtp]',
    `audio_rtp_port=${port + 2}`,
    '[net]',
    'push_notification=1',
    '[misc]',
    `uuid=${uuid}`,
    '[proxy_0]',
    `reg_proxy=<sip:${HOST}:${KAMAILIO_PORT};transport=udp>`,
    `reg_identity=sip:${extension}@${HOST}`,
    'reg_expires=3600',
    'reg_sendregister=1',
    'push_notification_allowed=1',
    `remote_push_notification_allowed=${remotePush ? 1 : 0}`,
    `push_parameters=${pushParameters}`,
    'contact_parameters=+sip.pnsreg',
    '',
  ].join('\n');
  return {
    uuid,
    /** Kamailio's device key for it: sip- and the MD5 of its +sip.instance (unquoted). */
    deviceId: `sip-${createHash('md5').update(`<urn:uuid:${uuid}>`).digest('hex')}`,
    get log() {
      return join(HERE, `${name}-${starts}.log`);
    },
    trace() {
      return linphoneTrace(this.log);
    },
    /** Starts linphonec (auto-answer) and waits for its REGISTER to be answered. */
    async start(expect = 'LinphoneRegistrationOk') {
      starts += 1;
      writeFileSync(rc, config);
      const args = ['-c', rc, '-a', '-d', '5', '-l', this.log];
      run = start(`linphonec-${name}`, 'linphonec', args, {
        env: { ...process.env, HOME },
        logFile: join(HERE, `${name}-${starts}.out.log`),
      });
      const state = `to [${expect}]`;
      await eventually(
        () => existsSync(this.log) && readFileSync(this.log, 'utf8').includes(state),
        `linphonec ${name} to reach ${expect}`,
      );
      return run;
    },
    /** The phone's OS suspends the app: no de-registration, the binding stays. */
    async kill() {
      if (!run) return;
      stop(run.child, 'SIGKILL');
      await run.done;
      run = undefined;
    },
    /** Types a linphonec command. */
    command(text) {
      run.child.stdin.write(`${text}\n`);
    },
  };
}

/** The 2xx of a REGISTER, as the phone received it. */
const registerOk = (trace) =>
  trace.find((e) => !e.sent && /^SIP\/2\.0 200/.test(e.line) && /REGISTER/.test(e.text));

async function devicesOf(tenant, extension) {
  const reply = await api('GET', `/v1/extensions/${extension}/devices`, { bearer: tenant.key });
  assert(reply.status === 200, `devices: ${reply.status} ${reply.text}`);
  return reply.json.devices;
}

/**
 * A call to a sleeping phone, answered: INVITE → push at the fake provider →
 * (the test wakes the phone) re-REGISTER → INVITE forked → 200 OK.
 * `pushFor` finds the push once the provider has it; returns it.
 */
async function wakeAndAnswer(label, p, extension, pushFor) {
  await p.kill();
  const pattern = callIdFor(`linphone-${label}`);
  const callId = expandCallId(pattern);
  const caller = sipp(`caller-${label}`, 'uac_invite.xml', CALLER_PORT, pattern, extension);
  let push;
  try {
    push = await eventually(() => pushFor(callId), `the ${label} push`, 20_000);
  } catch (err) {
    stop(caller.child, 'SIGKILL');
    throw err;
  }
  // The phone's OS wakes the app on the push: linphonec starts and registers again.
  await p.start();
  const run = await caller.done;
  const trace = sipTrace(caller.messages);
  const phoneTrace = p.trace();
  const flows = `caller:\n      ${sipFlow(trace)}\n    phone:\n      ${sipFlow(phoneTrace)}`;
  assert(run.code === 0, `caller SIPp exited ${run.code}\n    ${flows}`);

  const invite = trace.find((e) => e.sent && e.line.startsWith('INVITE'));
  const ok = trace.find((e) => !e.sent && /^SIP\/2\.0 200/.test(e.line) && /INVITE/.test(e.cseq));
  const reRegister = phoneTrace.find((e) => e.sent && e.line.startsWith('REGISTER'));
  const forked = phoneTrace.find((e) => !e.sent && e.line.startsWith('INVITE'));
  assert(invite && ok && reRegister && forked, `a message is missing\n    ${flows}`);
  // No push token goes past the proxy: not in the INVITE's R-URI, not in the 200's Contact.
  assert(!/pn-/i.test(forked.line), `the forked INVITE carries pn-*: ${forked.line}`);
  assert(!/^Contact:.*pn-/im.test(ok.text), `the 200 OK's Contact carries pn-*:\n${ok.text}`);
  timings[label] = {
    inviteToPushMs: push.receivedAt - invite.at,
    pushToReRegisterMs: reRegister.at - push.receivedAt,
    reRegisterToForkedInviteMs: forked.at - reRegister.at,
    forkedInviteTo200OkMs: ok.at - forked.at,
    inviteTo200OkMs: ok.at - invite.at,
  };
  log(`  SIP flow\n    ${flows}`);
  return { callId, push };
}

/** One call to the sleeping FCM phone, cancelled by the caller before the phone wakes. */
async function cancelledCall(fcmToken) {
  const pattern = callIdFor('linphone-cancel');
  const callId = expandCallId(pattern);
  const caller = sipp('caller-linphone-cancel', 'uac_cancel.xml', CALLER_PORT, pattern, '2001');
  const run = await caller.done;
  const trace = sipTrace(caller.messages);
  assert(run.code === 0, `caller SIPp exited ${run.code}\n      ${sipFlow(trace)}`);
  assert(
    trace.some((e) => !e.sent && /^SIP\/2\.0 487/.test(e.line)),
    `no 487 for the INVITE\n      ${sipFlow(trace)}`,
  );
  const pushes = () =>
    fakes.fcm.requestsFor(fcmToken).filter((r) => fcmMessage(r).data.call_id === callId);
  const cancel = await eventually(
    () => pushes().find((r) => fcmMessage(r).data.type === 'call_cancelled'),
    'the cancel push',
  );
  assert(fcmMessage(cancel).data.reason === 'hangup', 'cancelled because the caller hung up');
  assert(
    pushes().some((r) => fcmMessage(r).data.type === 'incoming_call'),
    'it rang first',
  );
  const sent = trace.find((e) => e.sent && e.line.startsWith('CANCEL'));
  if (sent) (timings.cancelToCancelPushMs ??= []).push(cancel.receivedAt - sent.at);
}

// ---------------------------------------------------------------- the run

rmSync(HERE, { recursive: true, force: true });
mkdirSync(join(HOME, '.local', 'share', 'linphone'), { recursive: true });
let kamailio;
const running = [];
try {
  await callwakeUp();
  fakes = await startProviders();
  const secrets = localConfig();
  const team = secrets.APNS_TEAM_ID;
  const senderId = fcmSenderId();
  const tenant = await createTenant('live');
  log(`tenant ${tenant.id} (live, fake FCM and APNs); APNs team ${team}, FCM sender ${senderId}`);
  kamailio = await startKamailio(tenant, 'kamailio-linphone');

  // Linphone on Android: FCM, the registration token, the project number.
  const fcmToken = `${randomBytes(8).toString('base64url')}:APA91b${randomBytes(105).toString('base64url')}`;
  const android = phone('android', {
    extension: '2001',
    port: 5100,
    pushParameters: `pn-provider=fcm;pn-prid=${fcmToken};pn-param=${senderId}`,
  });
  // Linphone on iOS, sandbox build: two tokens tagged with their services.
  const voip = randomBytes(32).toString('hex').toUpperCase();
  const remote = randomBytes(32).toString('hex').toUpperCase();
  // Apple issued these tokens in its sandbox (a development build): the fake must know.
  fakes.apns.sandbox.register(voip.toLowerCase());
  fakes.apns.sandbox.register(remote.toLowerCase());
  const iphone = phone('iphone', {
    extension: '2002',
    port: 5110,
    remotePush: true,
    pushParameters: `pn-provider=apns.dev;pn-prid=${voip}:voip&${remote}:remote;pn-param=${team}.org.linphone.phone.voip&remote`,
  });
  running.push(android, iphone);

  await test('linphonec (FCM) registers through Kamailio: a callwake device, Feature-Caps in the 200', async () => {
    await android.start();
    const [device] = await devicesOf(tenant, '2001');
    assert(device?.device_id === android.deviceId, `device ${JSON.stringify(device)}`);
    assert(device.platform === 'android', `platform ${device.platform}`);
    assert(device.fcm_token === maskToken(fcmToken), `token ${device.fcm_token}`);
    const ok = registerOk(android.trace());
    assert(ok, 'no 200 to the REGISTER');
    assert(
      /^Feature-Caps: \*;\+sip\.pns="fcm";\+sip\.pnsreg="121"$/m.test(ok.text),
      `the 200 has no Feature-Caps:\n${ok.text}`,
    );
  });

  await test('asleep (FCM): INVITE -> push -> linphonec restarts, re-REGISTERs -> INVITE forked -> 200 OK', async () => {
    const { callId, push } = await wakeAndAnswer('fcm', android, '2001', (id) =>
      fakes.fcm
        .requestsFor(fcmToken)
        .find(
          (r) =>
            fcmMessage(r).data.sip_call_id === id &&
            fcmMessage(r).data.type === 'incoming_call' &&
            r.status === 200,
        ),
    );
    const message = fcmMessage(push);
    assert(message.data.type === 'incoming_call', `push type ${message.data.type}`);
    assert(message.data.extension === '2001', `push extension ${message.data.extension}`);
    assert(message.android?.priority === 'high', 'a high-priority data push');
    // Kamailio told callwake the call was answered on SIP: the other phones stop.
    const call = await eventually(async () => {
      const reply = await api('GET', `/v1/calls/${encodeURIComponent(callId)}`, {
        bearer: tenant.key,
      });
      return reply.json.status === 'cancelled' && reply.json;
    }, 'the call to end as answered elsewhere');
    assert(call.end_reason === 'answered_elsewhere', `end_reason ${call.end_reason}`);
  });

  await test(`asleep (FCM), the caller gives up first (${HANGUPS} calls): cancel push, 487 to the caller`, async () => {
    await android.kill();
    for (let i = 0; i < HANGUPS; i += 1) await cancelledCall(fcmToken);
  });

  await test('linphonec (APNs sandbox): registers, asleep, woken by a VoIP push with aps.call-id, answers', async () => {
    await iphone.start();
    const [device] = await devicesOf(tenant, '2002');
    assert(device?.device_id === iphone.deviceId, `device ${JSON.stringify(device)}`);
    assert(device.apns_env === 'sandbox' && device.app_id === 'org.linphone.phone', 'sandbox');
    assert(device.voip_token === maskToken(voip.toLowerCase()), `token ${device.voip_token}`);
    const sandbox = fakes.apns.sandbox;
    const { callId, push: request } = await wakeAndAnswer('apns', iphone, '2002', (id) =>
      sandbox
        .requestsFor(voip.toLowerCase())
        .find((r) => r.body?.aps?.['call-id'] === id && r.status === 200),
    );
    assert(request.headers['apns-push-type'] === 'voip', 'a VoIP push');
    assert(request.headers['apns-topic'] === 'org.linphone.phone.voip', 'to the .voip topic');
    assert(request.body.sip_call_id === callId && request.body.type === 'incoming_call', 'keys');
    assert(fakes.apns.production.requestsFor(voip.toLowerCase()).length === 0, 'not production');
    assert(sandbox.requestsFor(remote.toLowerCase()).length === 0, 'not the remote token');
  });

  await test('linphonec de-registers (Expires: 0, still with pn-prid): its device is removed', async () => {
    iphone.command('unregister');
    await eventually(
      async () => (await devicesOf(tenant, '2002')).length === 0,
      'the device to be removed',
    );
    await iphone.kill();
  });

  await test('linphonec with a push service RFC 8599 does not name (hms): 555, with callwake reason; nothing registered', async () => {
    const huawei = phone('hms', {
      extension: '2003',
      port: 5120,
      pushParameters: `pn-provider=hms;pn-prid=${randomBytes(40).toString('base64url')};pn-param=x`,
    });
    running.push(huawei);
    await huawei.start('LinphoneRegistrationFailed');
    const refused = huawei.trace().find((e) => !e.sent && e.line.startsWith('SIP/2.0 555'));
    assert(refused, `no 555\n      ${sipFlow(huawei.trace())}`);
    assert(
      /^Warning: 399 callwake "pn_provider: hms is not supported/m.test(refused.text),
      refused.text,
    );
    assert((await devicesOf(tenant, '2003')).length === 0, 'no device');
    await huawei.kill();
  });
} catch (err) {
  failSetup(err);
} finally {
  for (const p of running) await p.kill().catch(() => {});
  await stopAll(kamailio);
  if (fakes) await stopProviders();
}

log('RFC 8599 timings (linphonec):');
for (const label of ['fcm', 'apns']) {
  const t = timings[label] ?? {};
  log(`  ${label}: INVITE -> push at the fake provider: ${formatMs(t.inviteToPushMs)}`);
  log(
    `  ${label}: push -> re-REGISTER (linphonec restart included): ${formatMs(t.pushToReRegisterMs)}`,
  );
  log(
    `  ${label}: re-REGISTER -> INVITE forked to the phone: ${formatMs(t.reRegisterToForkedInviteMs)}`,
  );
  log(`  ${label}: INVITE forked -> 200 OK at the caller: ${formatMs(t.forkedInviteTo200OkMs)}`);
  log(`  ${label}: INVITE -> 200 OK, all told: ${formatMs(t.inviteTo200OkMs)}`);
}
log(
  `  CANCEL -> cancel push at the fake FCM (RFC 8599 flow): ${percentiles(timings.cancelToCancelPushMs)}; goal p95 <= ${HANGUP_GOAL_MS} ms: ${goalVerdict(timings.cancelToCancelPushMs, HANGUP_GOAL_MS)}`,
);
log(`linphonec logs: ${HERE}; Kamailio log: ${join(WORK, 'kamailio-linphone.log')}`);
report(timings);
