/** The SIP messages a SIPp run logged (-trace_msg), for the Kamailio and the Asterisk runs. */
import { existsSync, readFileSync } from 'node:fs';

export interface SipEvent {
  /** Epoch ms (SIPp stamps local time, with microseconds). */
  at: number;
  sent: boolean;
  line: string;
  cseq: string;
  callId: string;
  /** The whole message. */
  text: string;
}

/** The messages SIPp logged with -trace_msg: time, direction, first line, CSeq, Call-ID. */
export function sipTrace(file: string): SipEvent[] {
  if (!existsSync(file)) return [];
  const entries: SipEvent[] = [];
  const blocks = readFileSync(file, 'utf8')
    .split(/^-{20,} /m)
    .slice(1);
  for (const block of blocks) {
    const match =
      /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)\.(\d+)\s*\n(.*)\n\s*\n([^\n]*)\n([\s\S]*)$/.exec(block);
    if (!match) continue;
    const [, date, time, fraction, what, firstLine, rest] = match;
    const at = new Date(`${date!}T${time!}`).getTime() + Number(`0.${fraction!}`) * 1000;
    const cseq = /^CSeq:\s*(.*)$/im.exec(rest!)?.[1]?.trim() ?? '';
    const callId = /^(?:Call-ID|i):\s*(.*)$/im.exec(rest!)?.[1]?.trim() ?? '';
    const line = firstLine!.trim();
    entries.push({
      at,
      sent: what!.includes('sent'),
      line,
      cseq,
      callId,
      text: `${line}\n${rest!}`,
    });
  }
  return entries;
}

/** A trace as one line a message (-> sent, <- received), for a failure's message. */
export function sipFlow(trace: { sent: boolean; line: string; cseq?: string }[]): string {
  return trace.map((e) => `${e.sent ? '->' : '<-'} ${e.line} (${String(e.cseq)})`).join('\n      ');
}

/** The first message matching: sent or received, first line, and CSeq method. */
export function first(
  trace: SipEvent[],
  sent: boolean,
  line: RegExp,
  method = /./,
): SipEvent | undefined {
  return trace.find((e) => e.sent === sent && line.test(e.line) && method.test(e.cseq));
}
