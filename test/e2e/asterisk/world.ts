/**
 * What every scenario of the real-Asterisk run shares: callwake on the
 * emulators (reached through the recording proxy), the fake FCM, the app that
 * answers, Asterisk, and the SIPp phone and caller.
 */
import { randomBytes } from 'node:crypto';
import { doc, serverTimestamp, setDoc } from 'firebase/firestore';
import type { TestApp } from '../../support/app';
import { callUuid } from '../../../functions/core/call/callUuid';
import type { TestTenant } from '../../support/emulator';
import type { FcmRecordedRequest } from '../../support/fakeFcm';
import { fcmMessage, type Providers } from '../../support/providers';
import { api, retrying503 } from '../../support/http';
import { eventually } from '../../support/wait';
import type { Pbx } from './pbx';
import type { RecordingProxy } from '../recordingProxy';
import { first, sipFlow, sipp, sipTrace, type SipEvent, type SippRun } from './sipp';

export const PORTS = { asterisk: 5160, caller: 5180, phone: 5190, register: 5195 };
export const DEVICE_ID = 'e2e-phone';

export interface World {
  pbx: Pbx;
  proxy: RecordingProxy;
  /** CALLWAKE_URL as Asterisk is given it: the recording proxy. */
  proxyUrl: string;
  providers: Providers;
  tenant: TestTenant;
  app: TestApp;
  token: string;
  /** The Asterisk UNIQUEIDs of this run's calls: every request must be about one of them. */
  calls: Set<string>;
}

export const assert: (condition: unknown, message: string) => asserts condition = (
  condition,
  message,
) => {
  if (!condition) throw new Error(message);
};

export type Push = FcmRecordedRequest & { data: Record<string, string> };

/** The first push of `type` for the phone's token received at the fake FCM since `since`. */
export function waitPush(
  w: World,
  type: 'incoming_call' | 'call_cancelled',
  since: number,
  match: (data: Record<string, string>) => boolean = () => true,
  ms = 20_000,
): Promise<Push> {
  return eventually(
    () => {
      const found = w.providers.fcm
        .requestsFor(w.token)
        .filter((r) => r.receivedAt >= since)
        .map((r) => ({ ...r, data: fcmMessage(r).data }))
        .find((r) => r.data.type === type && match(r.data));
      return found ?? false;
    },
    `a ${type} push at the fake FCM`,
    ms,
  );
}

/** Fresh SIP Call-ID for one caller run. */
export const sipCallId = (tag: string) =>
  `cw-ast-${tag}-${randomBytes(4).toString('hex')}@127.0.0.1`;

export function caller(name: string, scenario: string, service: string, callId: string): SippRun {
  return sipp(name, scenario, {
    remote: PORTS.asterisk,
    port: PORTS.caller,
    service,
    callId,
  });
}

/** The phone's SIPp in server mode: answers the one INVITE Asterisk sends it. */
export function phoneAnswering(name: string, ext: string, scenario = 'phone_answer.xml'): SippRun {
  return sipp(name, scenario, {
    remote: PORTS.asterisk,
    port: PORTS.phone,
    service: ext,
  });
}

/**
 * REGISTER (or, with 0, unregister) the phone's Contact with Asterisk; resolves once Asterisk said
 * 200, with the REGISTER's time.
 */
export async function register(
  ext: string,
  expires: number,
): Promise<SipEvent & { registerAt: number }> {
  const run = sipp(`register-${ext}-${expires}`, 'phone_register.xml', {
    remote: PORTS.asterisk,
    port: PORTS.register,
    service: ext,
    callId: `cw-ast-reg-${randomBytes(4).toString('hex')}@127.0.0.1`,
    keys: { expires: String(expires), contact_port: String(PORTS.phone) },
    timeoutS: 20,
  });
  const code = await run.done;
  const trace = sipTrace(run.messages);
  const ok = first(trace, false, /^SIP\/2\.0 200/);
  const sent = first(trace, true, /^REGISTER/);
  assert(
    code === 0 && ok && sent,
    `REGISTER ${ext} (expires ${expires}) failed:\n      ${sipFlow(trace)}`,
  );
  return { ...ok, registerAt: sent.at };
}

/**
 * The app answers the way docs/app-integration.md says: over HTTPS (outcome named), sending a
 * 429 busy again as docs/api.md says …
 */
export async function answerOverHttps(
  w: World,
  callId: string,
  action: 'accept' | 'decline',
): Promise<void> {
  const reply = await retrying503(async () =>
    api('POST', `/v1/app/calls/${encodeURIComponent(callId)}/answer`, {
      headers: { Authorization: `Bearer ${await w.app.idToken()}` },
      form: { device_id: DEVICE_ID, action },
    }),
  );
  assert(reply.status === 200 && reply.fields.outcome === 'won', `answer: ${reply.text}`);
}

/** … or with the Firebase SDK's answer write, which the onAnswerWritten trigger settles. */
export async function answerWithSdk(
  w: World,
  callId: string,
  action: 'accept' | 'decline',
): Promise<void> {
  const uuid = callUuid(w.tenant.id, callId);
  await setDoc(doc(w.app.db, `tenants/${w.tenant.id}/calls/${uuid}/answers/${DEVICE_ID}`), {
    action,
    deviceId: DEVICE_ID,
    uid: w.app.uid,
    answeredAt: serverTimestamp(),
  });
}

/** The call as callwake's PBX API shows it. */
export async function callStatus(w: World, callId: string): Promise<Record<string, unknown>> {
  const reply = await api('GET', `/v1/calls/${encodeURIComponent(callId)}`, { key: w.tenant.key });
  return reply.fields;
}

/** What the dialplan logged for a SIP call: Gosub's GOSUB_RETVAL and the channel's UNIQUEID. */
export function outcome(w: World, sipCall: string) {
  return eventually(() => w.pbx.outcome(sipCall), `the dialplan's outcome line for ${sipCall}`);
}

export const ms = (value: number | undefined) =>
  value === undefined ? 'n/a' : `${Math.round(value)} ms`;

/** The nearest-rank percentile `p` (0–100) of `values`; undefined when there are none. */
export function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** When callwake's answer to the call's long-poll left the proxy, after `since`. */
export function pollAnswered(w: World, callId: string, since: number): number | undefined {
  const path = `/v1/calls/${encodeURIComponent(callId)}/wait`;
  return w.proxy.requests.find(
    (r) => r.url === path && r.answeredAt !== undefined && r.answeredAt >= since,
  )?.answeredAt;
}
