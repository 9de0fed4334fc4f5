/** SIPp runs on 127.0.0.1 against Asterisk, and the SIP messages they logged. */
import { join } from 'node:path';
import { start, stop, WORK, type Child } from './processes';
import { HOST } from './pbx';

const SCENARIOS = __dirname;

export interface SippRun extends Child {
  messages: string;
}

export interface SippOptions {
  /** Asterisk's SIP port. */
  remote: number;
  /** This SIPp's SIP port; its media port is 1000 above. */
  port: number;
  service: string;
  /** Client (-m 1: one call, then exit) or server mode (answers one incoming call). */
  callId?: string;
  /** Calls to place, all within 100 ms (SIPp numbers their Call-IDs itself); 1 by default. */
  calls?: number;
  keys?: Record<string, string>;
  timeoutS?: number;
}

export function sipp(name: string, scenario: string, options: SippOptions): SippRun {
  const messages = join(WORK, `${name}.messages.log`);
  const keys = Object.entries(options.keys ?? {}).flatMap(([k, v]) => ['-key', k, v]);
  const args = [
    `${HOST}:${options.remote}`,
    ...['-sf', join(SCENARIOS, scenario)],
    ...['-s', options.service],
    ...['-i', HOST, '-mi', HOST, '-mp', String(options.port + 1000)],
    ...['-p', String(options.port), '-bind_local'],
    ...['-m', String(options.calls ?? 1)],
    ...(options.calls
      ? ['-r', String(options.calls), '-rp', '100', '-l', String(options.calls)]
      : []),
    ...(options.callId ? ['-cid_str', options.callId] : []),
    ...keys,
    ...['-trace_msg', '-message_file', messages],
    ...['-trace_err', '-error_file', join(WORK, `${name}.errors.log`)],
    ...['-recv_timeout', '40000', '-timeout', `${options.timeoutS ?? 60}s`, '-timeout_error'],
    '-nostdin',
  ];
  const run = start(name, 'sipp', args, { logFile: join(WORK, `${name}.out.log`) });
  return { ...run, messages };
}

export { stop };

export { first, sipFlow, sipTrace, type SipEvent } from '../sipTrace';
