/**
 * RFC 8599 end to end with a real softphone, inside `firebase emulators:exec`
 * (scripts/e2e-sip.mjs): Debian's linphonec registers through Kamailio
 * (integrations/kamailio/kamailio.cfg) with its pn-* parameters, no callwake
 * code in it; it is killed (asleep, its binding stays); a SIPp caller's INVITE
 * makes callwake push to the fake FCM / APNs; the test plays the phone's OS
 * and starts linphonec again, which re-registers; Kamailio forks the held
 * INVITE to it and it answers (-a). Also: the caller gives up before the
 * phone wakes, a push service callwake does not speak gets 555, and a
 * de-registration removes the device.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { maskToken } from '../../../functions/core/devices/registerDevice';
import { createTenant, localConfig, ROOT, type TestTenant } from '../../support/emulator';
import type { FcmRecordedRequest } from '../../support/fakeFcm';
import { fcmMessage, startProviders, stopProviders, type Providers } from '../../support/providers';
import { SUITE_TIMEOUT_MS } from '../../support/wait';
import { api, callOf, callwakeUp, type DeviceView } from './callwake';
import { eventually } from './eventually';
import { formatMs, goalVerdict, HANGUP_GOAL_MS, log, logTimings, percentiles } from './figures';
import { startKamailio } from './kamailio';
import { LINPHONE_DIR, LINPHONE_HOME, linphonePhone, type LinphonePhone } from './linphonec';
import { stop, stopAll, WORK, type Child } from './processes';
import { callIdFor, expandCallId, sipFlow, sipp, sipTrace, wakeMessages } from './sipp';

const CALLER_PORT = 5082;
// Cancelled calls, for the hang-up -> cancel push p95 (of 5: the slowest).
const HANGUPS = 5;

interface WakeTimings {
  inviteToPushMs?: number;
  pushToReRegisterMs?: number;
  reRegisterToForkedInviteMs?: number;
  forkedInviteTo200OkMs?: number;
  inviteTo200OkMs?: number;
}

/** FCM_SENDER_ID as the emulated functions read it (.env.<project>): the project number. */
function fcmSenderId(): string {
  const file = join(ROOT, '.env.demo-callwake');
  const value = /^FCM_SENDER_ID=(\d+)$/m.exec(existsSync(file) ? readFileSync(file, 'utf8') : '');
  assert(value, `${file} sets no FCM_SENDER_ID`);
  return value[1]!;
}

/** The 2xx of a REGISTER, as the phone received it. */
const registerOk = (trace: ReturnType<LinphonePhone['trace']>) =>
  trace.find((e) => !e.sent && e.line.startsWith('SIP/2.0 200') && e.text.includes('REGISTER'));

async function devicesOf(tenant: TestTenant, extension: string): Promise<DeviceView[]> {
  const reply = await api('GET', `/v1/extensions/${extension}/devices`, { bearer: tenant.key });
  assert(reply.status === 200, `devices: ${reply.status} ${reply.text}`);
  const devices = reply.json.devices;
  assert(devices, `devices: ${reply.text}`);
  return devices;
}

describe('linphonec through Kamailio (RFC 8599, the fake FCM and APNs)', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  const timings: {
    fcm?: WakeTimings;
    apns?: WakeTimings;
    cancelToCancelPushMs?: number[];
  } = {};
  let fakes: Providers | undefined;
  let kamailio: Child | undefined;
  let tenant: TestTenant;
  const running: LinphonePhone[] = [];
  // Linphone on Android: FCM, the registration token, the project number.
  const fcmToken = `${randomBytes(8).toString('base64url')}:APA91b${randomBytes(105).toString('base64url')}`;
  // Linphone on iOS, sandbox build: two tokens tagged with their services.
  const voip = randomBytes(32).toString('hex').toUpperCase();
  const remote = randomBytes(32).toString('hex').toUpperCase();
  let android: LinphonePhone;
  let iphone: LinphonePhone;

  before(async () => {
    rmSync(LINPHONE_DIR, { recursive: true, force: true });
    mkdirSync(join(LINPHONE_HOME, '.local', 'share', 'linphone'), { recursive: true });
    await callwakeUp();
    fakes = await startProviders();
    const team = localConfig().APNS_TEAM_ID!;
    const senderId = fcmSenderId();
    tenant = await createTenant('live');
    log(`tenant ${tenant.id} (live, fake FCM and APNs); APNs team ${team}, FCM sender ${senderId}`);
    kamailio = await startKamailio(tenant, 'kamailio-linphone');

    android = linphonePhone('android', {
      extension: '2001',
      port: 5100,
      pushParameters: `pn-provider=fcm;pn-prid=${fcmToken};pn-param=${senderId}`,
    });
    // Apple issued these tokens in its sandbox (a development build): the fake must know.
    fakes.apns.sandbox.register(voip.toLowerCase());
    fakes.apns.sandbox.register(remote.toLowerCase());
    iphone = linphonePhone('iphone', {
      extension: '2002',
      port: 5110,
      remotePush: true,
      pushParameters: `pn-provider=apns.dev;pn-prid=${voip}:voip&${remote}:remote;pn-param=${team}.org.linphone.phone.voip&remote`,
    });
    running.push(android, iphone);
  });

  after(async () => {
    for (const p of running) await p.kill().catch(() => undefined);
    await stopAll(kamailio);
    if (fakes) await stopProviders();
    log('RFC 8599 timings (linphonec):');
    for (const label of ['fcm', 'apns'] as const) {
      const t = timings[label] ?? {};
      log(`  ${label}: INVITE -> push at the fake provider: ${formatMs(t.inviteToPushMs)}`);
      log(
        `  ${label}: push -> re-REGISTER (linphonec restart included): ${formatMs(t.pushToReRegisterMs)}`,
      );
      log(
        `  ${label}: re-REGISTER -> INVITE forked to the phone: ${formatMs(t.reRegisterToForkedInviteMs)}`,
      );
      log(
        `  ${label}: INVITE forked -> 200 OK at the caller: ${formatMs(t.forkedInviteTo200OkMs)}`,
      );
      log(`  ${label}: INVITE -> 200 OK, all told: ${formatMs(t.inviteTo200OkMs)}`);
    }
    log(
      `  CANCEL -> cancel push at the fake FCM (RFC 8599 flow): ${percentiles(timings.cancelToCancelPushMs)}; goal p95 <= ${HANGUP_GOAL_MS} ms: ${goalVerdict(timings.cancelToCancelPushMs, HANGUP_GOAL_MS)}`,
    );
    log(`linphonec logs: ${LINPHONE_DIR}; Kamailio log: ${join(WORK, 'kamailio-linphone.log')}`);
    logTimings('linphone', timings);
  });

  /**
   * A call to a sleeping phone, answered: INVITE → push at the fake provider →
   * (the test wakes the phone) re-REGISTER → INVITE forked → 200 OK.
   * `pushFor` finds the push once the provider has it; returns it.
   */
  async function wakeAndAnswer<P extends { receivedAt: number }>(
    label: 'fcm' | 'apns',
    p: LinphonePhone,
    extension: string,
    pushFor: (callId: string) => P | undefined,
  ): Promise<{ callId: string; push: P }> {
    await p.kill();
    const pattern = callIdFor(`linphone-${label}`);
    const callId = expandCallId(pattern);
    const caller = sipp(`caller-${label}`, 'uac_invite.xml', CALLER_PORT, pattern, extension);
    let push: P;
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

    const { invite, ok, reRegister, forked } = wakeMessages(trace, phoneTrace, flows);
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
  async function cancelledCall(): Promise<void> {
    const pattern = callIdFor('linphone-cancel');
    const callId = expandCallId(pattern);
    const caller = sipp('caller-linphone-cancel', 'uac_cancel.xml', CALLER_PORT, pattern, '2001');
    const run = await caller.done;
    const trace = sipTrace(caller.messages);
    assert(run.code === 0, `caller SIPp exited ${run.code}\n      ${sipFlow(trace)}`);
    assert(
      trace.some((e) => !e.sent && e.line.startsWith('SIP/2.0 487')),
      `no 487 for the INVITE\n      ${sipFlow(trace)}`,
    );
    const pushes = () =>
      fakes!.fcm.requestsFor(fcmToken).filter((r) => fcmMessage(r).data.call_id === callId);
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

  it('linphonec (FCM) registers through Kamailio: a callwake device, Feature-Caps in the 200', async () => {
    await android.start();
    const [device] = await devicesOf(tenant, '2001');
    assert(device?.device_id === android.deviceId, `device ${JSON.stringify(device)}`);
    assert(device.platform === 'android', `platform ${String(device.platform)}`);
    assert(device.fcm_token === maskToken(fcmToken), `token ${String(device.fcm_token)}`);
    const ok = registerOk(android.trace());
    assert(ok, 'no 200 to the REGISTER');
    assert(
      /^Feature-Caps: \*;\+sip\.pns="fcm";\+sip\.pnsreg="121"$/m.test(ok.text),
      `the 200 has no Feature-Caps:\n${ok.text}`,
    );
  });

  it('asleep (FCM): INVITE -> push -> linphonec restarts, re-REGISTERs -> INVITE forked -> 200 OK', async () => {
    const { callId, push } = await wakeAndAnswer('fcm', android, '2001', (id) =>
      fakes!.fcm
        .requestsFor(fcmToken)
        .find(
          (r: FcmRecordedRequest) =>
            fcmMessage(r).data.sip_call_id === id &&
            fcmMessage(r).data.type === 'incoming_call' &&
            r.status === 200,
        ),
    );
    const message = fcmMessage(push);
    assert(message.data.type === 'incoming_call', `push type ${String(message.data.type)}`);
    assert(message.data.extension === '2001', `push extension ${String(message.data.extension)}`);
    assert(message.android?.priority === 'high', 'a high-priority data push');
    // Kamailio told callwake the call was answered on SIP: the other phones stop.
    const call = await eventually(async () => {
      const reply = await callOf(tenant, callId);
      return reply.json.status === 'cancelled' && reply.json;
    }, 'the call to end as answered elsewhere');
    assert(call.end_reason === 'answered_elsewhere', `end_reason ${String(call.end_reason)}`);
  });

  it(`asleep (FCM), the caller gives up first (${HANGUPS} calls): cancel push, 487 to the caller`, async () => {
    await android.kill();
    for (let i = 0; i < HANGUPS; i += 1) await cancelledCall();
  });

  it('linphonec (APNs sandbox): registers, asleep, woken by a VoIP push with aps.call-id, answers', async () => {
    await iphone.start();
    const [device] = await devicesOf(tenant, '2002');
    assert(device?.device_id === iphone.deviceId, `device ${JSON.stringify(device)}`);
    assert(device.apns_env === 'sandbox' && device.app_id === 'org.linphone.phone', 'sandbox');
    assert(
      device.voip_token === maskToken(voip.toLowerCase()),
      `token ${String(device.voip_token)}`,
    );
    const sandbox = fakes!.apns.sandbox;
    const { callId, push: request } = await wakeAndAnswer('apns', iphone, '2002', (id) =>
      sandbox.requestsFor(voip.toLowerCase()).find((r) => {
        const body = r.body as { aps?: Record<string, unknown> } | undefined;
        return body?.aps?.['call-id'] === id && r.status === 200;
      }),
    );
    const body = request.body as { sip_call_id?: string; type?: string };
    assert(request.headers['apns-push-type'] === 'voip', 'a VoIP push');
    assert(request.headers['apns-topic'] === 'org.linphone.phone.voip', 'to the .voip topic');
    assert(body.sip_call_id === callId && body.type === 'incoming_call', 'keys');
    assert(fakes!.apns.production.requestsFor(voip.toLowerCase()).length === 0, 'not production');
    assert(sandbox.requestsFor(remote.toLowerCase()).length === 0, 'not the remote token');
  });

  it('linphonec de-registers (Expires: 0, still with pn-prid): its device is removed', async () => {
    iphone.command('unregister');
    await eventually(
      async () => (await devicesOf(tenant, '2002')).length === 0,
      'the device to be removed',
    );
    await iphone.kill();
  });

  it('linphonec with a push service RFC 8599 does not name (hms): 555, with callwake reason; nothing registered', async () => {
    const huawei = linphonePhone('hms', {
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
});
