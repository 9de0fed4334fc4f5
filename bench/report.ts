/** The printed tables (Markdown, so they paste into the README as they are). */
import type { AnswerResult } from './answerPath';
import type { ColdModule, ColdStartResult } from './coldStart';
import { COLD_MODULES } from './coldStart';
import { answeredCall, opsText, stepCosts, type ServedCost } from './costSummary';
import type { FreshStartResult } from './freshInstance';
import { goalsTable, type Goal } from './goals';
import type { RingQuiet, RingResult } from './ringPath';
import { ms, ratio } from './stats';
import type { ThroughputResult } from './throughput';

export interface Results {
  startedAt: string;
  seconds: number;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  coldStart: ColdStartResult;
  /** A fresh instance's first POST /v1/calls against hello-world's first request. */
  freshInstance: FreshStartResult;
  /** Firestore operations counted from the served functions; null when that session did not run. */
  servedCost: ServedCost | null;
  ringPath: RingResult[];
  /** The waits for quiet before each turn of the ring path. */
  ringQuiet: RingQuiet;
  /** The seeds' comparison again, with the fake FCM answering after a delay. */
  ringWithLatency: { fcmAnswerDelayMs: number; rows: RingResult[] };
  answerPath: AnswerResult;
  throughput: ThroughputResult;
  /** Every goal with its verdict (goals.ts). */
  goals: Goal[];
}

function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const triple = (d: { p50: number; p95: number; p99: number }) =>
  `${ms(d.p50)} / ${ms(d.p95)} / ${ms(d.p99)}`;
const times = (value: number) => (Number.isNaN(value) ? 'n/a' : `×${value}`);

/** The peer row (floor or seeds) ringing the same phones as `row`. */
const peerOf = (rows: RingResult[], row: RingResult, system: RingResult['system']) =>
  rows.find((r) => r.system === system && r.set === row.set);

/** callwake's last-push p50 over the floor's, for the same phones. */
export function overFloor(rows: RingResult[], row: RingResult): number {
  const floor = peerOf(rows, row, 'floor');
  return floor ? ratio(row.lastArrival.p50, floor.lastArrival.p50) : Number.NaN;
}

/**
 * How many times sooner callwake's last push arrives than the seeds' design's (p50): the
 * competent peer's, or with `naive` the seeds' serial code's.
 */
export function fasterThanSeeds(
  rows: RingResult[],
  row: RingResult,
  system: 'seeds' | 'naive' = 'seeds',
): number {
  const seeds = peerOf(rows, row, system);
  return seeds ? ratio(seeds.lastArrival.p50, row.lastArrival.p50) : Number.NaN;
}

function peerSummary(rows: RingResult[]): string {
  const ours = rows.filter((r) => r.system === 'callwake');
  const floors = ours.filter((r) => !Number.isNaN(overFloor(rows, r)));
  const seeds = ours.filter((r) => !Number.isNaN(fasterThanSeeds(rows, r)));
  const naive = ours.filter((r) => !Number.isNaN(fasterThanSeeds(rows, r, 'naive')));
  return (
    `× floor: ${floors.map((r) => `${r.short} ${times(overFloor(rows, r))}`).join(', ')}; ` +
    `× faster than the seeds' design (competent peer): ${seeds.map((r) => `${r.short} ${fasterThanSeeds(rows, r)}×`).join(', ')}` +
    (naive.length
      ? `; beside it, × faster than the seeds' serial code (naive peer): ${naive.map((r) => `${r.short} ${fasterThanSeeds(rows, r, 'naive')}×`).join(', ')}`
      : '')
  );
}

function ringSummary(all: RingResult[]): string {
  const rows = all.filter((r) => r.system === 'callwake');
  const singles = rows.filter((r) => r.devices === 1);
  const many = rows.find((r) => r.devices > 1);
  if (singles.length === 0 || !many) return 'n/a';
  // The 10-device sets hold Android phones and iPhones: compare with those two alone.
  const slowest = Math.max(
    ...singles.filter((r) => ['android1', 'ios1'].includes(r.set)).map((r) => r.lastArrival.p50),
  );
  return (
    `1 device: ${singles.map((r) => `${ms(r.lastArrival.p50)} (${r.short})`).join(', ')}; ` +
    `${many.devices} devices: first ${ms(many.firstArrival.p50)}, last ${ms(many.lastArrival.p50)} ` +
    `(${times(ratio(many.lastArrival.p50, slowest))} of the slower single device)`
  );
}

function costSummary(cost: ServedCost | null): string {
  if (!cost) return 'not counted (the cost session did not run)';
  const steps = stepCosts(cost);
  const https = answeredCall(steps, 'HTTPS route');
  const sdk = answeredCall(steps, 'answer document');
  return (
    `callwake ${opsText(https.callwake)} (answered through the HTTPS route), ` +
    `${opsText(sdk.callwake)} (through the answer document); the floor's ring ${opsText(https.floor)} ` +
    `(it has no answer path); the seeds' design, competent, ${opsText(https.seeds)} (ring and accept)`
  );
}

function summary(r: Results): string {
  const { longPoll, poll } = r.answerPath;
  const best = r.throughput.best;
  return table(
    ['Figure', 'Result'],
    [
      ['Ring path p50, POST /v1/calls → the push at the fake provider', ringSummary(r.ringPath)],
      ['Ring path against the peers (last push p50)', peerSummary(r.ringPath)],
      [
        `The same, FCM answering after ${r.ringWithLatency.fcmAnswerDelayMs} ms`,
        peerSummary(r.ringWithLatency.rows).replace(/^× floor: ; /, ''),
      ],
      [
        'Answer path p50 / p95, accept → PBX knows: long-poll vs polling every 1 s',
        `${ms(longPoll.p50)} / ${ms(longPoll.p95)} vs ${ms(poll.p50)} / ${ms(poll.p95)} ` +
          `(polling ${times(r.answerPath.ratio.p50)} / ${times(r.answerPath.ratio.p95)} slower); ` +
          `the seeds' design ${ms(r.answerPath.seedsPoll.p50)} / ${ms(r.answerPath.seedsPoll.p95)} ` +
          `(callwake ${r.answerPath.seedsRatio.p50}× / ${r.answerPath.seedsRatio.p95}× faster)`,
      ],
      [
        'Cold start, require() of lib/functions/index.js vs a hello-world onRequest',
        `${ms(r.coldStart.requireMs.index)} vs ${ms(r.coldStart.requireMs.hello)} (${times(r.coldStart.ratio.index)}); ` +
          `unbundled ${ms(r.coldStart.requireMs.unbundled)} (${times(r.coldStart.ratio.unbundled)})`,
      ],
      ['Firestore operations of an answered 10-device call', costSummary(r.servedCost)],
      [
        `Throughput with p95 ≤ ${r.throughput.limitMs} ms`,
        best
          ? `${best.callsPerSecond} calls/s (${best.concurrency} in flight, p95 ${ms(best.p95)})`
          : `none: p95 ${ms(r.throughput.steps[0]?.p95 ?? Number.NaN)} with 1 in flight`,
      ],
    ],
  );
}

function ringTable(rows: RingResult[], title = 'Ring path (POST →)'): string {
  const ours = (r: RingResult, value: (r: RingResult) => string) =>
    r.system === 'callwake' ? value(r) : '';
  return table(
    [
      title,
      'calls',
      'first push p50 / p95 / p99',
      'last push p50 / p95 / p99',
      'PBX answered p50',
      '× floor (last p50)',
      "callwake × faster than the seeds' design, competent peer (last p50)",
      'the same against the naive peer',
    ],
    rows.map((r) => [
      r.name,
      r.calls,
      triple(r.firstArrival),
      triple(r.lastArrival),
      ms(r.response.p50),
      ours(r, (x) => (Number.isNaN(overFloor(rows, x)) ? '' : times(overFloor(rows, x)))),
      ours(r, (x) =>
        Number.isNaN(fasterThanSeeds(rows, x)) ? '' : `${fasterThanSeeds(rows, x)}×`,
      ),
      ours(r, (x) =>
        Number.isNaN(fasterThanSeeds(rows, x, 'naive'))
          ? ''
          : `${fasterThanSeeds(rows, x, 'naive')}×`,
      ),
    ]),
  );
}

function answerTable(a: AnswerResult): string {
  return table(
    [
      `Answer path (accept → PBX knows; ${a.lanes} users side by side)`,
      'calls',
      'p50',
      'p95',
      'max',
    ],
    [
      [
        'long-poll GET /v1/calls/{id}?wait=20',
        a.calls,
        ms(a.longPoll.p50),
        ms(a.longPoll.p95),
        ms(a.longPoll.max),
      ],
      ...(['sdk', 'https'] as const).map((door) => [
        door === 'sdk'
          ? '  of which the app answered with its answer document (Firestore SDK)'
          : '  of which the app answered through POST /v1/app/calls/{id}/answer',
        a.byDoor[door].n,
        ms(a.byDoor[door].p50),
        ms(a.byDoor[door].p95),
        ms(a.byDoor[door].max),
      ]),
      [
        'polling GET /v1/calls/{id} every 1 s',
        a.calls,
        ms(a.poll.p50),
        ms(a.poll.p95),
        ms(a.poll.max),
      ],
      ['ratio polling / long-poll', '', times(a.ratio.p50), times(a.ratio.p95), ''],
      [
        "the seeds' design: polling its status route every 1 s",
        a.calls,
        ms(a.seedsPoll.p50),
        ms(a.seedsPoll.p95),
        ms(a.seedsPoll.max),
      ],
      [
        "callwake × faster than the seeds' design",
        '',
        `${a.seedsRatio.p50}×`,
        `${a.seedsRatio.p95}×`,
        '',
      ],
      [
        'accept → the call settled (endedAt)',
        a.calls,
        ms(a.settled.p50),
        ms(a.settled.p95),
        ms(a.settled.max),
      ],
      [
        "accept → the other phone's cancel push at the fake FCM",
        a.cancelElsewhere.n,
        ms(a.cancelElsewhere.p50),
        ms(a.cancelElsewhere.p95),
        ms(a.cancelElsewhere.max),
      ],
    ],
  );
}

function coldTable(c: ColdStartResult): string {
  const names = Object.keys(COLD_MODULES) as ColdModule[];
  return table(
    [
      `Cold start (median of ${c.runs} fresh processes)`,
      'require()',
      'vs hello',
      'process spawn → exit',
      'modules',
      'heavy packages loaded at import',
    ],
    names.map((n) => [
      COLD_MODULES[n],
      ms(c.requireMs[n]),
      times(ratio(c.requireMs[n], c.requireMs.hello)),
      ms(c.processMs[n]),
      c.modules[n],
      c.heavy[n].join(', ') || 'none',
    ]),
  );
}

function freshTable(f: FreshStartResult): string {
  return table(
    [
      `Cold start, a fresh instance (median of ${f.runs})`,
      'spawn → listening',
      'spawn → first reply',
      'spawn → the push at the fake FCM',
      'vs hello (push ÷ reply)',
    ],
    [
      [
        'callwake api, first POST /v1/calls',
        ms(f.callwake.listeningMs),
        ms(f.callwake.replyMs),
        ms(f.callwake.pushMs),
        times(f.ratio),
      ],
      ['hello-world onRequest, first GET', ms(f.hello.listeningMs), ms(f.hello.replyMs), '', '×1'],
    ],
  );
}

function servedCostTables(cost: ServedCost): string {
  const steps = stepCosts(cost);
  const range = (t: number[]) => {
    const lo = Math.min(...t);
    const hi = Math.max(...t);
    return lo === hi ? String(lo) : `${lo}–${hi}`;
  };
  const first = cost.steps[0] ?? [];
  return [
    table(
      [
        `Cost, counted from the served functions (median of ${cost.rounds} rounds)`,
        'reads',
        'writes',
        'empty queries',
        "the app's own writes",
        'total each round',
      ],
      steps.map((s) => [
        `${s.system}: ${s.step}`,
        s.reads,
        s.writes,
        s.emptyQueries,
        s.appWrites,
        range(s.totals),
      ]),
    ),
    '',
    table(
      [
        'One round, operation by operation',
        'function',
        'RPC',
        'collection',
        'calls',
        'reads',
        'writes',
      ],
      first.flatMap((step) =>
        [...step.rows]
          .sort((a, b) => a.fn.localeCompare(b.fn) || a.collection.localeCompare(b.collection))
          .map((r) => [
            `${step.system}: ${step.step}`,
            r.fn,
            r.rpc,
            r.collection,
            r.calls,
            r.reads + r.emptyQueries,
            r.writes,
          ]),
      ),
    ),
    '',
    'Counted by a proxy between every Functions emulator worker and the Firestore emulator ' +
      '(bench/firestoreProxy.ts), from the gRPC messages: a document a get or query returned or ' +
      'said was missing is a read, a query that returned nothing one read, an aggregation one ' +
      'read per 1,000 index entries, each document a listener delivered a read; each write of a ' +
      'committed Commit a write. A Listen row\'s "calls" are the streams closed within the step.',
  ].join('\n');
}

function throughputTable(t: ThroughputResult): string {
  return table(
    [
      'Throughput: POST /v1/calls in flight',
      'calls',
      'calls/s',
      'p50',
      'p95',
      'errors',
      `p95 ≤ ${t.limitMs} ms`,
    ],
    t.steps.map((s) => [
      s.concurrency,
      s.calls,
      s.callsPerSecond,
      ms(s.p50),
      ms(s.p95),
      s.errors,
      s.passed ? 'yes' : 'no',
    ]),
  );
}

function goalsVerdict(goals: Goal[]): string {
  const count = (met: boolean | null) => goals.filter((g) => g.met === met).length;
  return `Goals: ${count(true)} met, ${count(false)} missed, ${count(null)} not measured by the bench.`;
}

export function render(r: Results): string {
  const m = r.machine;
  return [
    `callwake bench, ${r.startedAt}: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, ` +
      `emulators and fake providers on 127.0.0.1 (${Math.round(r.seconds)} s)`,
    '',
    goalsVerdict(r.goals),
    '',
    goalsTable(r.goals),
    '',
    summary(r),
    '',
    `Ring path on equal footing: before each turn the bench waited for the emulators to be quiet ` +
      `(no function run open, none for ${r.ringQuiet.idleMs} ms) ${r.ringQuiet.waits} times, ` +
      `${Math.round(r.ringQuiet.totalMs / 1000)} s in all, longest ${r.ringQuiet.maxMs} ms; ` +
      `${r.ringQuiet.timedOut} waits gave up at the bound. callwake runs that began during ` +
      `the peers' turns (${r.ringQuiet.peerTurnCalls} peer calls): ` +
      (Object.entries(r.ringQuiet.strays)
        .map(([key, n]) => `${key} ${n}`)
        .join(', ') || 'none') +
      '.',
    '',
    ringTable(r.ringPath),
    '',
    ringTable(
      r.ringWithLatency.rows,
      `Ring path, FCM answering after ${r.ringWithLatency.fcmAnswerDelayMs} ms (POST →)`,
    ),
    '',
    answerTable(r.answerPath),
    '',
    freshTable(r.freshInstance),
    '',
    coldTable(r.coldStart),
    '',
    r.servedCost
      ? servedCostTables(r.servedCost)
      : 'Cost: not counted (the cost session did not run).',
    '',
    throughputTable(r.throughput),
  ].join('\n');
}
