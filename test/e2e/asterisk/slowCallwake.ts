/** The slow-callwake burst of the real-Asterisk run (fallback.test.ts). */
import { api } from '../../support/http';
import { eventually } from '../../support/wait';
import type { Figures } from './figures';
import { first, sipFlow, sipp, sipTrace } from './sipp';
import { assert, percentile, PORTS, register, type World } from './world';

/** The p50 and the max of `values` (ms), for the figures; undefined when there are none. */
const spread = (values: number[]) => ({
  p50: percentile(values, 50),
  max: percentile(values, 100),
});

/**
 * What a slow callwake costs the PBX: every request reaches callwake `delayMs` late (the
 * recording proxy holds it), and `calls` callers ring `ext` within 100 ms, each hanging up
 * 0.5–2.5 s after its 180. Asterisk runs each channel's dialplan, CURL() included, on the
 * channel's own thread (main/pbx.c, ast_pbx_start), so no call waits behind another's request:
 * every POST /v1/calls reaches the proxy before the first one's answer could have come back, and
 * each caller's 180 comes one delay (plus callwake's own time) after its INVITE. chan_pjsip
 * answers 100 Trying before the dialplan runs, and a REGISTER sent in the middle of the burst is
 * answered at once. A call whose POST callwake answers after the include's own timeout (10 s) is
 * rung the classic way, which finds no phone here: 480. The caller's 487 after its CANCEL waits
 * for the hangup handler's POST .../cancel, itself late.
 */
export async function slowCallwake(
  w: World,
  f: Figures,
  options: { ext: string; calls: number; delayMs: number; includeTimeoutMs: number },
): Promise<void> {
  const { ext, calls, delayMs, includeTimeoutMs } = options;
  // Workers for the burst's requests before it: the emulator starts one per concurrent request,
  // seconds each on a busy 2-core machine, which is not what this measures.
  await Promise.all(Array.from({ length: calls }, () => api('GET', '/v1/health')));
  const since = Date.now();
  w.proxy.delayMs = delayMs;
  try {
    const run = sipp('caller-slow', 'caller_slow.xml', {
      remote: PORTS.asterisk,
      port: PORTS.caller,
      service: ext,
      calls,
      timeoutS: 120,
    });
    const posts = () =>
      w.proxy.requests.filter((r) => r.method === 'POST' && r.url === '/v1/calls' && r.at >= since);
    // While every call's POST waits on callwake: a phone registers.
    await eventually(() => posts().length >= calls, `${calls} POST /v1/calls at the proxy`, 30_000);
    for (const post of posts()) w.calls.add(new URLSearchParams(post.body).get('call_id') ?? '');
    const registered = await register('1002', 60);
    f.registerDuringBurst = registered.at - registered.registerAt;
    await register('1002', 0);
    const code = await run.done;
    const trace = sipTrace(run.messages);
    assert(code === 0, `the callers' SIPp exited ${code}\n      ${sipFlow(trace.slice(0, 20))}`);
    const byCall = new Map<string, typeof trace>();
    for (const event of trace)
      byCall.set(event.callId, [...(byCall.get(event.callId) ?? []), event]);
    assert(byCall.size === calls, `${byCall.size} calls in the callers' trace, not ${calls}`);
    const trying: number[] = [];
    const ringing: number[] = [];
    const terminated: number[] = [];
    let fellBack = 0;
    for (const [id, events] of byCall) {
      const invite = first(events, true, /^INVITE/);
      const hundred = first(events, false, /^SIP\/2\.0 100/, /INVITE/);
      const ring = first(events, false, /^SIP\/2\.0 180/, /INVITE/);
      const classic = first(events, false, /^SIP\/2\.0 480/, /INVITE/);
      assert(invite && hundred && (ring ?? classic), `call ${id}:\n      ${sipFlow(events)}`);
      trying.push(hundred.at - invite.at);
      if (classic) fellBack += 1;
      if (!ring) continue;
      ringing.push(ring.at - invite.at);
      const cancel = first(events, true, /^CANCEL/);
      const ended = first(events, false, /^SIP\/2\.0 487/, /INVITE/);
      if (cancel && ended) terminated.push(ended.at - cancel.at);
    }
    const firstInvite = Math.min(
      ...trace.filter((e) => e.sent && e.line.startsWith('INVITE')).map((e) => e.at),
    );
    const arrivals = posts().map((r) => r.at - firstInvite);
    // callwake's own time for each POST: the proxy's answer, less the delay it added.
    const own = posts().map((r) => (r.answeredAt ?? Infinity) - r.at - delayMs);
    // Answered past the include's timeout, or so near it that either may have happened.
    const late = own.filter((t) => t + delayMs >= includeTimeoutMs + 300).length;
    const near = own.filter((t) => Math.abs(t + delayMs - includeTimeoutMs) < 300).length;
    const tried = spread(trying);
    const rang = spread(ringing);
    const ends = spread(terminated);
    const served = spread(own.filter(Number.isFinite));
    Object.assign(f, {
      tryingP50: tried.p50,
      tryingMax: tried.max,
      inviteTo180P50: rang.p50,
      inviteTo180Max: rang.max,
      callwakeOwnP50: served.p50,
      callwakeOwnMax: served.max,
      lastPostAfterFirstInvite: Math.max(...arrivals),
      cancelTo487P50: ends.p50,
      cancelTo487Max: ends.max,
      rang: ringing.length,
      fellBack,
    });
    // Parallel, not queued: all POSTs in before one delay has passed.
    assert(
      Math.max(...arrivals) < delayMs,
      `the last POST /v1/calls reached callwake ${Math.max(...arrivals)} ms after the first INVITE`,
    );
    // Each call rang, or fell back because callwake answered its POST after the include's timeout.
    assert(
      fellBack >= late && fellBack <= late + near,
      `${fellBack} calls rung the classic way, but ${late} POSTs answered past ${includeTimeoutMs} ms (${near} near it)`,
    );
  } finally {
    w.proxy.delayMs = 0;
  }
}
