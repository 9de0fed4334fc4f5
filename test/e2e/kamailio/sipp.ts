/** SIPp on 127.0.0.1 against Kamailio, and the SIP messages it logged. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { HOST, KAMAILIO_PORT } from './kamailio';
import { start, WORK, type Child } from './processes';
import type { SipEvent } from '../sipTrace';

/** The SIPp scenarios (test/e2e/*.xml). */
export const SCENARIOS = join(__dirname, '..');

export interface SippRun extends Child {
  messages: string;
}

/**
 * SIPp on 127.0.0.1 only, one call to `service` (or `calls` at once, each with its line of the
 * `inf` injection file as [field0]...), bounded by its own global timeout. `keys` fill the
 * scenario's own [keywords] (SIPp's -key).
 */
export function sipp(
  name: string,
  scenario: string,
  port: number,
  callIdPattern: string,
  service: string,
  keys: Record<string, string> = {},
  { calls = 1, inf }: { calls?: number; inf?: string } = {},
): SippRun {
  const messages = join(WORK, `${name}.messages.log`);
  const args = [
    `${HOST}:${KAMAILIO_PORT}`,
    ['-sf', join(SCENARIOS, scenario)],
    ['-s', service],
    ['-i', HOST],
    ['-mi', HOST],
    ['-mp', String(port + 1000)],
    ['-p', String(port)],
    '-bind_local',
    ['-m', String(calls)],
    // Every call at once (1000 a second), none held back by SIPp's own limit.
    ...(calls > 1
      ? [
          ['-r', '1000'],
          ['-rp', '1000'],
          ['-l', String(calls)],
        ]
      : []),
    ...(inf ? [['-inf', inf]] : []),
    ['-cid_str', callIdPattern],
    '-trace_msg',
    ['-message_file', messages],
    '-trace_err',
    ['-error_file', join(WORK, `${name}.errors.log`)],
    ['-recv_timeout', '30000'],
    ['-timeout', '45s'],
    '-timeout_error',
    '-nostdin',
    ...Object.entries(keys).flatMap(([key, value]) => ['-key', key, value]),
  ].flat();
  const run = start(name, 'sipp', args, { logFile: join(WORK, `${name}.out.log`) });
  return { ...run, messages };
}

export { sipFlow, sipTrace, type SipEvent } from '../sipTrace';

/** A Call-ID pattern for SIPp, unique per run; SIPp expands %u (the call number: 1). */
export const callIdFor = (tag: string) =>
  `cw-e2e-${tag}-${randomBytes(4).toString('hex')}-%u@${HOST}`;
export const expandCallId = (pattern: string) => pattern.replace('%u', '1');

/**
 * The messages of a call to a phone woken by its push: the caller's INVITE and its 200 OK, the
 * phone's new REGISTER and the INVITE Kamailio forked to it. `flows` shows both sides on failure.
 */
export function wakeMessages<P extends { sent: boolean; line: string }>(
  callerTrace: SipEvent[],
  phoneTrace: P[],
  flows: string,
) {
  const invite = callerTrace.find((e) => e.sent && e.line.startsWith('INVITE'));
  const ok = callerTrace.find(
    (e) => !e.sent && e.line.startsWith('SIP/2.0 200') && e.cseq.includes('INVITE'),
  );
  const reRegister = phoneTrace.find((e) => e.sent && e.line.startsWith('REGISTER'));
  const forked = phoneTrace.find((e) => !e.sent && e.line.startsWith('INVITE'));
  assert(invite && ok && reRegister && forked, `a message is missing\n    ${flows}`);
  return { invite, ok, reRegister, forked };
}
