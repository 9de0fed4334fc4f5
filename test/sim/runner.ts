import fc from 'fast-check';
import { memoryBackend } from './backend';
import { addCounts, emptyCounts, type FaultCounts } from './faults';
import { scenarioArb, type Scenario } from './scenario';
import { simulate, zeroStats, type ScheduleStats, type SimulateOptions } from './simulate';

export interface SimulationReport {
  seed: number;
  schedules: number;
  counts: FaultCounts;
  totals: ScheduleStats;
  /** The first failing schedule (shrunk unless asked not to), with what it broke; null when none. */
  failure: { scenario: Scenario; violations: string[] } | null;
}

export interface RunOptions {
  /** The database each schedule runs on (in memory unless told otherwise). */
  simulate?: (scenario: Scenario, counts: FaultCounts) => ReturnType<typeof simulate>;
  /** Report the first failing schedule as found, without shrinking it (mutation testing). */
  noShrink?: boolean;
}

const inMemory = (scenario: Scenario, counts: FaultCounts) =>
  simulate(scenario, counts, { backend: memoryBackend, tenant: 't' } satisfies SimulateOptions);

/** Adds one schedule's figures to the totals. */
export function addStats(into: ScheduleStats, from: ScheduleStats): void {
  for (const key of Object.keys(into) as (keyof ScheduleStats)[]) {
    const target = into[key];
    const value = from[key];
    if (Array.isArray(target) && Array.isArray(value)) target.push(...value);
    else (into as unknown as Record<string, number>)[key] = (target as number) + (value as number);
  }
}

/**
 * Runs `schedules` fast-check schedules from `seed`. A failing schedule is shrunk and
 * reported; `seed` (with fast-check's path) replays it exactly.
 */
export async function runSimulation(
  seed: number,
  schedules: number,
  options: RunOptions = {},
): Promise<SimulationReport> {
  const run = options.simulate ?? inMemory;
  const counts = emptyCounts();
  const totals = zeroStats();
  let counted = 0;
  let failure: SimulationReport['failure'] = null;
  await fc
    .assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const counting = failure === null && counted < schedules;
        const mine = emptyCounts();
        const result = await run(scenario, mine);
        if (counting) {
          counted += 1;
          addCounts(counts, mine);
          addStats(totals, result.stats);
        }
        if (result.violations.length > 0) {
          failure = { scenario, violations: result.violations };
          return false;
        }
        return true;
      }),
      { seed, numRuns: schedules, endOnFailure: options.noShrink === true },
    )
    .catch((err: unknown) => {
      if (failure === null) throw err;
    });
  return { seed, schedules: counted, counts, totals, failure };
}

/** The value below which `p` of the samples lie (nearest rank). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0;
}

const list = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const latency = (samples: number[]) =>
  `p50 ${seconds(percentile(samples, 0.5))}, p99 ${seconds(percentile(samples, 0.99))}, max ${seconds(Math.max(0, ...samples))} (${samples.length} phones)`;

/** What ran, what failed on purpose, what the invariants bound, and what broke. */
export function summary(report: SimulationReport): string {
  const { counts: c, totals: t } = report;
  return [
    `simulation: ${report.schedules} schedules (seed ${report.seed}), ${t.calls} calls, ${t.runs} function runs`,
    `  faults injected: store ${sum(c.store)} (${list(c.store)})`,
    `                   provider ${sum(c.provider)} (${list(c.provider)})`,
    `                   instances killed ${sum(c.crash)} (${list(c.crash)}); ${t.deaths} runs died, ${t.redeliveries} trigger redeliveries`,
    `  incoming pushes ${t.incomingPushes}, ${t.reached} reached a phone (${t.repeats} more than once per phone and call); cancel pushes ${t.cancelPushes} (${t.cancelRepeats} repeats)`,
    `  late pushes (started after the call ended) ${t.latePushes}, ${t.lateReached} reached a phone, each followed by a cancel`,
    `  cancel latency, call ended by an answer or the PBX, nothing failing: ${latency(t.calmCancelLatency)}`,
    `                 call ran out its ring time, nothing failing: ${latency(t.deadlineCancelLatency)}`,
    `                 every phone owed one, faults included: ${latency(t.cancelLatency)}`,
    `  answers over HTTPS: ${t.httpsAnswered} answered, ${t.httpsConflicts} conflicts (409), ${t.httpsRefused} refused otherwise`,
    `  answers won ${t.won}, late ${t.late}; APNs environments corrected ${t.envCorrections}, tokens dropped ${t.tokensDropped}`,
    `  ${report.failure ? report.failure.violations.length : 0} violations`,
  ].join('\n');
}
