/**
 * The slow run's bursts: CALLS SIPp callers INVITE at once while PHONES RFC 8599 phones (pn-*
 * Contacts, distinct devices) REGISTER, all against one Kamailio.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORK } from './processes';
import { callIdFor, sipp, sipTrace, type SipEvent, type SippRun } from './sipp';

export const CALLS = 20;
export const PHONES = 20;
export const EXTENSION = '4000';
// The first burst's callee: an extension with no phones, which callwake answers at once (and
// Kamailio with 404), so that the first burst takes the same SIP routes and task workers up to
// the POST without leaving rings, deadline tasks and cancels for the second to queue behind.
const FIRST_EXTENSION = '4001';
export const PORTS = { callers: 5140, phones: 5150, early: 5160, phone: 5170 };

/** `count` RFC 8599 phones from extension `first` on, as SIPp injection lines (extension;FCM token;+sip.instance). */
export function phoneLines(count: number, first: number): string {
  return Array.from(
    { length: count },
    (_, i) =>
      `${first + i};${randomBytes(8).toString('base64url')}:APA91b${randomBytes(105).toString('base64url')};${randomUUID()}`,
  ).join('\n');
}

/** The trace of a many-call SIPp run, by Call-ID. */
export function byCall(trace: SipEvent[]): Map<string, SipEvent[]> {
  const calls = new Map<string, SipEvent[]>();
  for (const e of trace) {
    const call = calls.get(e.callId) ?? [];
    call.push(e);
    calls.set(e.callId, call);
  }
  return calls;
}

/** Per INVITE of a many-call SIPp trace, ms from its first sending to its 100 Trying. */
export function invitesTrying(trace: SipEvent[]): number[] {
  const trying: number[] = [];
  for (const calls of byCall(trace).values()) {
    const invite = calls.find((e) => e.sent && e.line.startsWith('INVITE'));
    const got100 = calls.find((e) => !e.sent && e.line.startsWith('SIP/2.0 100'));
    if (invite && got100) trying.push(got100.at - invite.at);
  }
  return trying;
}

export interface Burst {
  callers: SippRun;
  registering: SippRun;
  callersRun: { code: number };
  phonesRun: { code: number };
}

/**
 * The burst: CALLS callers (SIPp, `callerScenario`) INVITE `extension` while PHONES RFC 8599
 * phones, extensions `firstPhone` on, REGISTER, all at once. Names its SIPp runs `<prefix>-…`.
 */
export async function burst(
  prefix: string,
  callerScenario: string,
  firstPhone: number,
  extension = EXTENSION,
): Promise<Burst> {
  const inf = join(WORK, `${prefix}-phones.csv`);
  writeFileSync(inf, `SEQUENTIAL\n${phoneLines(PHONES, firstPhone)}\n`);
  const callers = sipp(
    `${prefix}-callers`,
    callerScenario,
    PORTS.callers,
    callIdFor(`${prefix}-call`),
    extension,
    {},
    { calls: CALLS },
  );
  const registering = sipp(
    `${prefix}-phones`,
    'uac_slow_register.xml',
    PORTS.phones,
    callIdFor(`${prefix}-reg`),
    'ignored',
    {},
    { calls: PHONES, inf },
  );
  const [callersRun, phonesRun] = await Promise.all([callers.done, registering.done]);
  return { callers, registering, callersRun, phonesRun };
}

/**
 * The first burst: the callers INVITE FIRST_EXTENSION (answered 404) while new phones from
 * `firstPhone` on REGISTER. Returns each INVITE's ms to its 100 Trying; every INVITE must get one.
 */
export async function firstBurst(prefix: string, firstPhone: number): Promise<number[]> {
  const { callers } = await burst(prefix, 'uac_not_found.xml', firstPhone, FIRST_EXTENSION);
  const trying = invitesTrying(sipTrace(callers.messages));
  assert(trying.length === CALLS, `${prefix}: ${trying.length} of ${CALLS} INVITEs got 100 Trying`);
  return trying;
}
