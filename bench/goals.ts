/**
 * The performance goals (issue 21's list), each evaluated in code against this run's figures:
 * met or missed, with the ratio and the difference in ms. A goal this bench does not measure is
 * listed as not measured with the reason, never as met.
 */
import type { AnswerResult } from './answerPath';
import type { ColdStartResult } from './coldStart';
import { answeredCall, opsText, stepCosts, type ServedCost } from './costSummary';
import type { FreshStartResult } from './freshInstance';
import type { RingResult } from './ringPath';

export interface Goal {
  name: string;
  /** The target as printed, e.g. "≤ ×1.1" or "≤ 150 ms". */
  target: string;
  /** What was measured, as printed (null when not measured). */
  measured: string | null;
  /** measured ÷ baseline (ratio goals) or measured ÷ target (time goals); null if not measured. */
  ratio: number | null;
  /** measured − baseline (ratio goals) or measured − target (time goals), ms. */
  diffMs: number | null;
  /** null: not measured. */
  met: boolean | null;
  /** Why it is not measured, or what the figure leaves out. */
  note?: string;
}

export interface GoalInputs {
  ringPath: RingResult[];
  ringWithLatency: { fcmAnswerDelayMs: number; rows: RingResult[] };
  answerPath: AnswerResult;
  freshInstance: FreshStartResult;
  coldStart: ColdStartResult;
  servedCost: ServedCost | null;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const round1 = (x: number) => Math.round(x * 10) / 10;

function find(rows: RingResult[], system: RingResult['system'], set: RingResult['set']) {
  return rows.find((r) => r.system === system && r.set === set);
}

function notMeasured(name: string, target: string, note: string): Goal {
  return { name, target, measured: null, ratio: null, diffMs: null, met: null, note };
}

/** a ÷ b against `max`: the ratio of two p50s, met when at most `max`. */
function ratioGoal(
  name: string,
  max: number,
  a: number | undefined,
  b: number | undefined,
  what: (a: number, b: number) => string,
  note?: string,
): Goal {
  if (a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b) || b === 0) {
    return notMeasured(name, `≤ ×${max}`, 'a row it needs is missing from this run');
  }
  return {
    name,
    target: `≤ ×${max}`,
    measured: what(a, b),
    ratio: round2(a / b),
    diffMs: round1(a - b),
    met: a / b <= max,
    ...(note ? { note } : {}),
  };
}

/** A time against its bound: met when at most `max` ms. */
function timeGoal(name: string, max: number, value: number, note?: string): Goal {
  if (Number.isNaN(value)) return notMeasured(name, `≤ ${max} ms`, 'no samples in this run');
  return {
    name,
    target: `≤ ${max} ms`,
    measured: `${round1(value)} ms`,
    ratio: round2(value / max),
    diffMs: round1(value - max),
    met: value <= max,
    ...(note ? { note } : {}),
  };
}

const p50 = (row: RingResult | undefined) => row?.lastArrival.p50;

export function evaluateGoals(r: GoalInputs): Goal[] {
  const rows = r.ringPath;
  const ours = (set: RingResult['set']) => find(rows, 'callwake', set);
  const floorGoal = (label: string, set: RingResult['set']) =>
    ratioGoal(
      `Ring p50 (last push), callwake ÷ strict floor, ${label}`,
      1.1,
      p50(ours(set)),
      p50(find(rows, 'floor', set)),
      (a, b) => `${a} ms ÷ ${b} ms`,
    );
  const singleAndroid = p50(ours('android1'));
  const singleIos = p50(ours('ios1'));
  const slowerSingle =
    singleAndroid === undefined || singleIos === undefined
      ? undefined
      : Math.max(singleAndroid, singleIos);
  const seedsGoal = (table: RingResult[], label: string) => {
    const naive = p50(find(table, 'naive', 'android10'));
    return ratioGoal(
      `Ring p50 at 10 devices, callwake ÷ the competent seeds peer${label}`,
      1.2,
      p50(find(table, 'callwake', 'android10')),
      p50(find(table, 'seeds', 'android10')),
      (a, b) => `${a} ms ÷ ${b} ms`,
      naive === undefined
        ? undefined
        : `beside it, the naive peer (the seeds' serial code): ${naive} ms, callwake ×${round2(
            (p50(find(table, 'callwake', 'android10')) ?? Number.NaN) / naive,
          )} of it`,
    );
  };
  const a = r.answerPath;
  return [
    floorGoal('1 Android', 'android1'),
    floorGoal('1 iPhone', 'ios1'),
    floorGoal('10 mixed devices', 'mixed10'),
    ratioGoal(
      '10-device last push ÷ one device (callwake; 5 Android + 5 iOS ÷ the slower single)',
      1.1,
      p50(ours('mixed10')),
      slowerSingle,
      (x, y) => `${x} ms ÷ ${y} ms`,
    ),
    ratioGoal(
      '10-device last push ÷ one device (callwake; 10 Android ÷ 1 Android)',
      1.1,
      p50(ours('android10')),
      singleAndroid,
      (x, y) => `${x} ms ÷ ${y} ms`,
    ),
    seedsGoal(rows, ''),
    seedsGoal(
      r.ringWithLatency.rows,
      `, FCM answering after ${r.ringWithLatency.fcmAnswerDelayMs} ms`,
    ),
    ratioGoal(
      'Cold start: first POST /v1/calls served by a fresh instance (spawn → the push) ÷ hello-world (spawn → its first reply)',
      1.3,
      r.freshInstance.callwake.pushMs,
      r.freshInstance.hello.replyMs,
      (x, y) => `${x} ms ÷ ${y} ms`,
      `require() alone, a separate figure: index.js ${Math.round(r.coldStart.requireMs.index)} ms ÷ hello ${Math.round(r.coldStart.requireMs.hello)} ms (×${r.coldStart.ratio.index})`,
    ),
    timeGoal(
      'Answer → the PBX knows (long-poll) p50, the answer document door (Firestore SDK)',
      150,
      a.byDoor.sdk.p50,
    ),
    timeGoal(
      'Answer → the PBX knows (long-poll) p95, the answer document door (Firestore SDK)',
      400,
      a.byDoor.sdk.p95,
    ),
    timeGoal(
      'Answer → the PBX knows (long-poll) p50, the HTTPS answer route',
      150,
      a.byDoor.https.p50,
    ),
    timeGoal(
      'Answer → the PBX knows (long-poll) p95, the HTTPS answer route',
      400,
      a.byDoor.https.p95,
    ),
    Number.isNaN(a.poll.p50 / a.longPoll.p50)
      ? notMeasured(
          'Answer → the PBX knows, long-poll ≥ 8× faster than polling every 1 s (p50)',
          '≥ ×8',
          'no answer-path samples in this run',
        )
      : {
          name: 'Answer → the PBX knows, long-poll ≥ 8× faster than polling every 1 s (p50)',
          target: '≥ ×8',
          measured: `${a.poll.p50} ms ÷ ${a.longPoll.p50} ms`,
          ratio: round2(a.poll.p50 / a.longPoll.p50),
          diffMs: round1(a.poll.p50 - a.longPoll.p50),
          met: a.poll.p50 / a.longPoll.p50 >= 8,
          note: "the poller starts with the call and the accept comes uniformly 0.5–1.5 s later, so the poller's phase against the accept is random; any 1 s poller averages about 500 ms",
        },
    notMeasured(
      'Real Asterisk: accept → 200 OK and decline → 486, p50 and p95 over ≥ 5 each',
      'printed',
      'measured by the real-Asterisk run of npm test, not by the bench',
    ),
    notMeasured(
      'Hang-up → cancel push at the provider, p95, every PBX path',
      '≤ 300 ms',
      'measured by the SIP runs of npm test (Asterisk, Kamailio callwake-API and RFC 8599 flows), not by the bench',
    ),
    timeGoal(
      'Answer elsewhere → cancel push at the other devices, p95',
      300,
      a.cancelElsewhere.p95,
      "the app's accept (both doors) → the desk phone's cancel push at the fake FCM",
    ),
    notMeasured(
      'Kamailio, callwake answering after 3 s: 20 INVITEs + 20 REGISTERs answered, 100 Trying ≤ 50 ms, no retransmission',
      '≤ 50 ms',
      'a SIP run of npm test, not the bench',
    ),
    costGoal(r.servedCost),
  ];
}

/** Printed, beside the floor's: what bench/README.md names and justifies operation by operation. */
function costGoal(cost: ServedCost | null): Goal {
  const name = 'Firestore operations per answered 10-device call, beside the floor';
  const target = 'printed, each extra operation justified';
  if (!cost) return notMeasured(name, target, 'the cost session (bench/servedCost.ts) did not run');
  const steps = stepCosts(cost);
  const { callwake, floor } = answeredCall(steps, 'HTTPS route');
  const sdk = answeredCall(steps, 'answer document').callwake;
  if (callwake.length < 2 || sdk.length < 2 || floor.length === 0) {
    return notMeasured(name, target, 'a step it needs is missing from the cost session');
  }
  return {
    name,
    target,
    measured: `${opsText(callwake)} ÷ ${opsText(floor)}`,
    ratio: null,
    diffMs: null,
    met: true,
    note:
      `counted from the served functions; through the answer document ${opsText(sdk)}; ` +
      "the floor's is its ring alone (it has no answer path); each extra operation is named in bench/README.md",
  };
}

/** The goals as a Markdown table. */
export function goalsTable(goals: Goal[]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const verdict = (g: Goal) => (g.met === null ? 'not measured' : g.met ? 'met' : 'missed');
  const sign = (x: number) => (x > 0 ? `+${x}` : `${x}`);
  return [
    line(['Goal', 'target', 'measured', 'ratio', 'diff', 'verdict', 'note']),
    line(['---', '---', '---', '---', '---', '---', '---']),
    ...goals.map((g) =>
      line([
        g.name,
        g.target,
        g.measured ?? '',
        g.ratio === null ? '' : `×${g.ratio}`,
        g.diffMs === null ? '' : `${sign(g.diffMs)} ms`,
        verdict(g),
        g.note ?? '',
      ]),
    ),
  ].join('\n');
}
