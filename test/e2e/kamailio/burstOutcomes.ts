/**
 * What the slow run's second burst got: per INVITE and per REGISTER, from the SIPp traces and the
 * requests the recording proxy saw, the figures and every departure from what callwake answered.
 */
import { createHash } from 'node:crypto';
import type { Recorded } from '../recordingProxy';
import { byCall } from './burst';
import { sipFlow, sipTrace, type SipEvent, type SippRun } from './sipp';

// How long this Kamailio waits for callwake (CALLWAKE_HTTP_TIMEOUT, in the slow run).
export const HTTP_TIMEOUT_MS = 20_000;
// How long a REGISTER waits for callwake to take its push address (CALLWAKE_REGISTER_WAIT_MS in
// kamailio.cfg, its default).
export const REGISTER_WAIT_MS = 7000;

/**
 * Whether callwake's answer to `request` came after `limitMs` from `since` (true), before it
 * (false), or too close to tell (undefined; a second either side).
 */
export function answeredLate(
  request: Recorded | undefined,
  since = request?.at,
  limitMs = HTTP_TIMEOUT_MS,
): boolean | undefined {
  if (!request || since === undefined) return undefined;
  const took = (request.respondedAt ?? Infinity) - since;
  if (took < limitMs - 1000) return false;
  if (took > limitMs + 1000) return true;
  return undefined;
}

export interface InviteOutcomes {
  /** The INVITEs in the callers' trace, by Call-ID. */
  calls: [string, SipEvent[]][];
  trying: number[];
  ringing: number[];
  /** INVITE -> its POST /v1/calls leaves Kamailio. */
  waited: number[];
  retransmitted: number;
  unanswered: number;
  refusals: number;
  problems: string[];
}

/** Each INVITE: its 100 Trying before callwake had its POST, then what callwake answered. */
export function inviteOutcomes(callers: SippRun, requests: Recorded[]): InviteOutcomes {
  const calls = [...byCall(sipTrace(callers.messages)).entries()].filter(([, t]) =>
    t.some((e) => e.sent && e.line.startsWith('INVITE')),
  );
  const posts = new Map(
    requests
      .filter((r) => r.url === '/v1/calls')
      .map((r) => [new URLSearchParams(r.body).get('call_id'), r]),
  );
  const out: InviteOutcomes = {
    calls,
    trying: [],
    ringing: [],
    waited: [],
    retransmitted: 0,
    unanswered: 0,
    refusals: 0,
    problems: [],
  };
  const { problems } = out;
  for (const [callId, trace] of calls) {
    const invites = trace.filter((e) => e.sent && e.line.startsWith('INVITE'));
    const first = invites[0]!;
    const got100 = trace.find((e) => !e.sent && e.line.startsWith('SIP/2.0 100'));
    const got180 = trace.find((e) => !e.sent && e.line.startsWith('SIP/2.0 180'));
    const post = posts.get(callId);
    out.retransmitted += invites.length - 1;
    if (got100) out.trying.push(got100.at - first.at);
    if (got180) out.ringing.push(got180.at - first.at);
    if (post) out.waited.push(post.at - first.at);
    // Before callwake even saw the call: the proxy holds each request DELAY_MS first.
    if (!got100) problems.push(`${callId}: no 100 Trying`);
    else if (!post?.forwardedAt || got100.at > post.forwardedAt) {
      problems.push(`${callId}: 100 Trying only once callwake had the POST /v1/calls`);
    }
    // Then what callwake answered: ringing in time rings; a refusal in time (the emulator
    // answering 429 busy under the burst) and no answer in time end the INVITE unrung.
    const final = trace.find((e) => !e.sent && /^SIP\/2\.0 [3-6]\d\d/.test(e.line));
    const late = answeredLate(post);
    const refused = post?.status !== undefined && (post.status < 200 || post.status > 299);
    if (refused && late === false) out.refusals += 1;
    if (late === false && !refused && !got180) {
      problems.push(`${callId}: callwake answered in time, no 180\n      ${sipFlow(trace)}`);
    } else if (
      late === false &&
      refused &&
      (got180 || !/^SIP\/2\.0 [45]/.test(final?.line ?? ''))
    ) {
      problems.push(
        `${callId}: callwake answered ${String(post.status)} in time, yet no 4xx/5xx\n      ${sipFlow(trace)}`,
      );
    } else if (late === true && (got180 || !(final?.line ?? '').startsWith('SIP/2.0 480'))) {
      problems.push(`${callId}: callwake answered too late, no 480\n      ${sipFlow(trace)}`);
    } else if (!got180 && !final) {
      problems.push(`${callId}: never answered\n      ${sipFlow(trace)}`);
    }
    if (!got180 && final) out.unanswered += 1;
  }
  return out;
}

export interface RegisterOutcomes {
  /** The REGISTER transactions in the phones' trace. */
  registers: SipEvent[][];
  answered: number[];
  /** REGISTER -> its device POST leaves Kamailio. */
  regWaited: number[];
  featureCaps: number;
  regRetransmissions: number;
  problems: string[];
}

/** Each REGISTER: a 200, with Feature-Caps exactly when callwake took the device within the wait. */
export function registerOutcomes(registering: SippRun, requests: Recorded[]): RegisterOutcomes {
  const registers = [...byCall(sipTrace(registering.messages)).values()];
  const out: RegisterOutcomes = {
    registers,
    answered: [],
    regWaited: [],
    featureCaps: 0,
    regRetransmissions: 0,
    problems: [],
  };
  const devicePosts = new Map(
    requests
      .filter((r) => /\/devices\/sip-[0-9a-f]{32}$/.test(r.url))
      .map((r) => [r.url.slice(r.url.lastIndexOf('/') + 1), r]),
  );
  const md5 = (text: string) => createHash('md5').update(text).digest('hex');
  for (const trace of registers) {
    const sent = trace.filter((e) => e.sent && e.line.startsWith('REGISTER'));
    const first = sent[0];
    if (!first) continue;
    out.regRetransmissions += sent.length - 1;
    const final = trace.find((e) => !e.sent && /^SIP\/2\.0 [2-6]\d\d/.test(e.line));
    const instance = /urn:uuid:([0-9a-f-]+)/.exec(first.text)?.[1];
    const device = `sip-${md5(`"<urn:uuid:${String(instance)}>"`)}`;
    const deviceAlt = `sip-${md5(`<urn:uuid:${String(instance)}>`)}`;
    const post = devicePosts.get(device) ?? devicePosts.get(deviceAlt);
    if (post) out.regWaited.push(post.at - first.at);
    if (!final?.line.startsWith('SIP/2.0 200')) {
      out.problems.push(
        `REGISTER ${first.callId}: ${final ? final.line : 'no final answer'}\n      ${sipFlow(trace)}`,
      );
      continue;
    }
    out.answered.push(final.at - first.at);
    const caps = /^Feature-Caps:/im.test(final.text);
    if (caps) out.featureCaps += 1;
    // callwake registered the device within the REGISTER's wait: Feature-Caps; later: none.
    const late = answeredLate(post, first.at, REGISTER_WAIT_MS);
    if (late === false && !caps) out.problems.push(`REGISTER ${first.callId}: no Feature-Caps`);
    if (late === true && caps)
      out.problems.push(`REGISTER ${first.callId}: Feature-Caps, callwake answered after the wait`);
  }
  return out;
}
