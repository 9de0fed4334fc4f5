/**
 * The scenarios of the real-Asterisk run. Each fills in its figures (ms) and
 * throws on anything that is not what a caller, a phone and callwake should see.
 */
import type { Figures } from './figures';
import { sipFlow, sipTrace, first, stop, type SippRun } from './sipp';
import {
  answerOverHttps,
  answerWithSdk,
  assert,
  caller,
  callStatus,
  outcome,
  phoneAnswering,
  pollAnswered,
  register,
  sipCallId,
  waitPush,
  type World,
} from './world';

/** The caller's INVITE → the incoming-call push at the fake, and the push's call_id (UNIQUEID). */
async function ringing(w: World, tag: string, service: string, scenario = 'caller.xml') {
  const callId = sipCallId(tag);
  const since = Date.now();
  const run = caller(`caller-${tag}`, scenario, service, callId);
  const push = await waitPush(w, 'incoming_call', since).catch((err: unknown) => {
    stop(run, 'SIGKILL');
    throw err;
  });
  assert(push.data.extension === service.slice(-4), `push extension ${push.data.extension}`);
  assert(push.data.caller_number === '5551234', `push caller_number ${push.data.caller_number}`);
  assert(push.data.caller_name === 'Alice Caller', `push caller_name ${push.data.caller_name}`);
  return { callId, run, push, pbxCall: push.data.call_id! };
}

async function finished(run: ReturnType<typeof caller>, what: string) {
  const code = await run.done;
  const trace = sipTrace(run.messages);
  assert(code === 0, `${what}: SIPp exited ${code}\n      ${sipFlow(trace)}`);
  const invite = first(trace, true, /^INVITE/);
  assert(invite, `${what}: no INVITE in the trace`);
  return { trace, invite };
}

export async function answered(w: World, f: Figures, round: number): Promise<void> {
  const phone = phoneAnswering(`phone-answered${round}`, '1001');
  try {
    const call = await ringing(w, `answered${round}`, '1001');
    w.calls.add(call.pbxCall);
    // The woken app: it accepts, then registers its SIP account (docs/app-integration.md).
    const acceptedAt = Date.now();
    await answerOverHttps(w, call.pbxCall, 'accept');
    await register('1001', 60);
    const [{ trace, invite }, phoneCode] = await Promise.all([
      finished(call.run, 'caller'),
      phone.done,
    ]);
    f.inviteToPush = call.push.receivedAt - invite.at;
    const ok = first(trace, false, /^SIP\/2\.0 200/, /INVITE/);
    f.acceptTo200Ok = ok && ok.at - acceptedAt;
    const polled = pollAnswered(w, call.pbxCall, acceptedAt);
    f.acceptToLongPollAnswer = polled && polled - acceptedAt;
    // The include's own part: from callwake's answer to the caller's 200 OK.
    f.longPollAnswerTo200Ok = ok && polled && ok.at - polled;
    const phoneFlow = sipFlow(sipTrace(phone.messages));
    assert(phoneCode === 0, `phone SIPp exited ${phoneCode}\n      ${phoneFlow}`);
    assert(ok, `the caller got no 200 OK:\n      ${sipFlow(trace)}`);
    const status = await callStatus(w, call.pbxCall);
    assert(status.status === 'accepted', `callwake status ${String(status.status)}`);
    // The phone hung up first, so the dialplan went on after Gosub.
    const { retval } = await outcome(w, call.callId);
    assert(retval === 'answered', `GOSUB_RETVAL ${retval}`);
  } finally {
    // Asleep again for the next call, whatever happened (its port free, its contact gone).
    stop(phone, 'SIGKILL');
    await register('1001', 0);
  }
}

export async function declined(w: World, f: Figures, round: number): Promise<void> {
  const call = await ringing(w, `declined${round}`, '1001');
  w.calls.add(call.pbxCall);
  const declinedAt = Date.now();
  await answerWithSdk(w, call.pbxCall, 'decline');
  const { trace, invite } = await finished(call.run, 'caller');
  f.inviteToPush = call.push.receivedAt - invite.at;
  // Busy() in the dialplan: chan_pjsip answers an unanswered channel's busy with 486.
  const busy = first(trace, false, /^SIP\/2\.0 486 /, /INVITE/);
  f.declineToBusy = busy && busy.at - declinedAt;
  const polled = pollAnswered(w, call.pbxCall, declinedAt);
  f.declineToLongPollAnswer = polled && polled - declinedAt;
  assert(busy, `the caller got no 486:\n      ${sipFlow(trace)}`);
  const { retval } = await outcome(w, call.callId);
  assert(retval === 'declined', `GOSUB_RETVAL ${retval}`);
  const status = await callStatus(w, call.pbxCall);
  assert(status.status === 'declined', `callwake status ${String(status.status)}`);
}

/** The caller hangs up (CANCEL) 0.5–2.5 s after the 180: the cancel push reaches the phone. */
export async function hungUp(w: World, f: Figures, round: number): Promise<void> {
  const call = await ringing(w, `hangup${round}`, '1001', 'caller_cancel.xml');
  w.calls.add(call.pbxCall);
  const { trace, invite } = await finished(call.run, 'caller');
  f.inviteToPush = call.push.receivedAt - invite.at;
  const cancel = first(trace, true, /^CANCEL/);
  assert(cancel, `no CANCEL sent:\n      ${sipFlow(trace)}`);
  assert(first(trace, false, /^SIP\/2\.0 487/), `no 487 for the INVITE:\n      ${sipFlow(trace)}`);
  const pushed = await waitPush(
    w,
    'call_cancelled',
    call.push.receivedAt,
    (d) => d.call_uuid === call.push.data.call_uuid,
    40_000,
  );
  f.hangupToCancelPush = pushed.receivedAt - cancel.at;
  const post = w.proxy.requests.find(
    (r) => r.method === 'POST' && r.url.includes(`/${encodeURIComponent(call.pbxCall)}/cancel`),
  );
  f.hangupToCancelPost = post && post.at - cancel.at;
  assert(pushed.data.reason === 'hangup', `cancel push reason ${pushed.data.reason}`);
}

/** 91001 rings 1001 for 5 s: the Local channel cancels with reason timeout; the caller gets 480. */
export async function noAnswer(w: World, f: Figures): Promise<void> {
  const call = await ringing(w, 'missed', '91001');
  w.calls.add(call.pbxCall);
  const { trace, invite } = await finished(call.run, 'caller');
  f.inviteToPush = call.push.receivedAt - invite.at;
  const refused = first(trace, false, /^SIP\/2\.0 480 /, /INVITE/);
  f.inviteTo480 = refused && refused.at - invite.at;
  assert(refused, `the caller got no 480:\n      ${sipFlow(trace)}`);
  const pushed = await waitPush(
    w,
    'call_cancelled',
    call.push.receivedAt,
    (d) => d.call_uuid === call.push.data.call_uuid,
  );
  f.inviteToCancelPush = pushed.receivedAt - invite.at;
  assert(pushed.data.reason === 'timeout', `cancel push reason ${pushed.data.reason}`);
  const { retval } = await outcome(w, call.callId);
  assert(retval === 'missed', `GOSUB_RETVAL ${retval}`);
  // One name for it: the include's answer and callwake's status agree.
  const status = await callStatus(w, call.pbxCall);
  assert(status.status === 'missed', `callwake status ${String(status.status)}`);
}

/**
 * A phone that stays registered (a desk phone, or callwake out of the way):
 * the include falls back to a plain Dial(PJSIP/<ext>) and the phone answers.
 */
export async function plainDial(w: World, f: Figures, tag: string, ext: string): Promise<void> {
  await register(ext, 60);
  let phone: SippRun | undefined;
  try {
    phone = phoneAnswering(`phone-${tag}`, ext);
    const callId = sipCallId(tag);
    const since = Date.now();
    const run = caller(`caller-${tag}`, 'caller.xml', ext, callId);
    const [{ trace, invite }, phoneCode] = await Promise.all([finished(run, 'caller'), phone.done]);
    const ok = first(trace, false, /^SIP\/2\.0 200/, /INVITE/);
    f.inviteTo200Ok = ok && ok.at - invite.at;
    assert(phoneCode === 0, `phone SIPp exited ${phoneCode}`);
    assert(ok, `the caller got no 200 OK:\n      ${sipFlow(trace)}`);
    const { retval, uniqueid } = await outcome(w, callId);
    w.calls.add(uniqueid);
    assert(retval === 'answered', `GOSUB_RETVAL ${retval}`);
    const pushes = w.providers.fcm.requestsFor(w.token).filter((r) => r.receivedAt >= since);
    assert(pushes.length === 0, `${pushes.length} pushes for a plain Dial`);
  } finally {
    if (phone) stop(phone, 'SIGKILL');
    await register(ext, 0);
  }
}

/**
 * A phone registered when the call comes (a desk phone) and a phone woken by push, on one
 * extension: both ring at once; the registered one answers first (after 2 s of ringing); the
 * pushed one gets a cancel push with reason answered_elsewhere.
 */
export async function registeredAndPushed(w: World, f: Figures): Promise<void> {
  await register('1001', 60);
  const phone = phoneAnswering('phone-registered', '1001', 'phone_answer_later.xml');
  try {
    const call = await ringing(w, 'registered', '1001');
    w.calls.add(call.pbxCall);
    const [{ trace, invite }, phoneCode] = await Promise.all([
      finished(call.run, 'caller'),
      phone.done,
    ]);
    const phoneTrace = sipTrace(phone.messages);
    const phoneInvite = first(phoneTrace, false, /^INVITE/);
    const phoneOk = first(phoneTrace, true, /^SIP\/2\.0 200/, /INVITE/);
    assert(
      phoneCode === 0,
      `registered phone SIPp exited ${phoneCode}\n      ${sipFlow(phoneTrace)}`,
    );
    assert(
      phoneInvite && phoneOk,
      `the registered phone was not rung:\n      ${sipFlow(phoneTrace)}`,
    );
    f.inviteToPush = call.push.receivedAt - invite.at;
    f.inviteToRegisteredInvite = phoneInvite.at - invite.at;
    // Rang together: the push left before the registered phone answered.
    assert(
      call.push.receivedAt < phoneOk.at,
      'the push came only after the registered phone answered',
    );
    const ok = first(trace, false, /^SIP\/2\.0 200/, /INVITE/);
    assert(ok, `the caller got no 200 OK:\n      ${sipFlow(trace)}`);
    f.registeredAnswerTo200Ok = ok.at - phoneOk.at;
    const cancel = await waitPush(
      w,
      'call_cancelled',
      call.push.receivedAt,
      (d) => d.call_uuid === call.push.data.call_uuid,
    );
    f.registeredAnswerToCancelPush = cancel.receivedAt - phoneOk.at;
    assert(cancel.data.reason === 'answered_elsewhere', `cancel push reason ${cancel.data.reason}`);
    const status = await callStatus(w, call.pbxCall);
    assert(status.status === 'cancelled', `callwake status ${String(status.status)}`);
    assert(status.end_reason === 'answered_elsewhere', `end_reason ${String(status.end_reason)}`);
    const { retval } = await outcome(w, call.callId);
    assert(retval === 'answered', `GOSUB_RETVAL ${retval}`);
  } finally {
    stop(phone, 'SIGKILL');
    await register('1001', 0);
  }
}
