import fc from 'fast-check';
import { emptyCounts, type FaultCounts } from './runs';
import { scenarioArb, type Scenario } from './scenario';
import { simulate, type ScheduleStats } from './simulate';

export interface SimulationReport {
  seed: number;
  schedules: number;
  counts: FaultCounts;
  totals: ScheduleStats;
  /** The first failing schedule (shrunk), with what it broke; null when none. */
  failure: { scenario: Scenario; violations: string[] } | null;
}

const zero = (): ScheduleStats => ({
  runs: 0,
  deaths: 0,
  incomingPushes: 0,
  repeatedPushes: 0,
  cancelPushes: 0,
  followUpRounds: 0,
  envCorrections: 0,
  tokensDropped: 0,
  redeliveries: 0,
});

/**
 * Runs `schedules` fast-check schedules from `seed`. A failing schedule is shrunk and
 * reported; `seed` (with fast-check's path) replays it exactly.
 */
export async function runSimulation(seed: number, schedules: number): Promise<SimulationReport> {
  const counts = emptyCounts();
  const totals = zero();
  let counted = 0;
  let failure: SimulationReport['failure'] = null;
  await fc
    .assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const counting = failure === null && counted < schedules;
        const result = await simulate(scenario, counting ? counts : emptyCounts());
        if (counting) {
          counted += 1;
          for (const key of Object.keys(totals) as (keyof ScheduleStats)[]) {
            totals[key] += result.stats[key];
          }
        }
        if (result.violations.length > 0) {
          failure = { scenario, violations: result.violations };
          return false;
        }
        return true;
      }),
      { seed, numRuns: schedules, endOnFailure: false },
    )
    .catch((err: unknown) => {
      if (failure === null) throw err;
    });
  return { seed, schedules: counted, counts, totals, failure };
}

/** One line for a person: how much ran, how much failed on purpose, and what broke. */
export function summary(report: SimulationReport): string {
  const store = Object.values(report.counts.store).reduce((a, b) => a + b, 0);
  const provider = Object.values(report.counts.provider).reduce((a, b) => a + b, 0);
  const t = report.totals;
  return [
    `simulation: ${report.schedules} schedules (seed ${report.seed}),`,
    `${store} store faults (${Object.entries(report.counts.store)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}),`,
    `${provider} provider faults, ${t.deaths} instances killed, ${t.redeliveries} trigger redeliveries,`,
    `${t.incomingPushes} incoming pushes (${t.repeatedPushes} repeats), ${t.cancelPushes} cancel pushes,`,
    `${t.followUpRounds} follow-up cancel rounds, ${t.envCorrections} APNs environments corrected,`,
    `${t.tokensDropped} tokens dropped;`,
    `${report.failure ? report.failure.violations.length : 0} violations`,
  ].join(' ');
}
