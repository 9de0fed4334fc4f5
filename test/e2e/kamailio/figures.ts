/** What the Kamailio runs print: their log lines and the figures they measure. */

export const log = (...args: unknown[]) => {
  console.log('[e2e-sip]', ...args);
};

export const formatMs = (ms: number | undefined) =>
  ms === undefined ? 'n/a' : `${Math.round(ms)} ms`;

/** The p-th percentile (nearest rank) of `values`; undefined when there are none. */
export function percentile(values: number[] | undefined, p: number): number | undefined {
  if (!values?.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** "p50 …, p95 …, max … (n=…)". */
export const percentiles = (values: number[] | undefined) =>
  `p50 ${formatMs(percentile(values, 50))}, p95 ${formatMs(percentile(values, 95))}, max ${formatMs(percentile(values, 100))} (n=${values?.length ?? 0})`;

/** Hang-up -> cancel push at the provider: p95 goal on every PBX path. */
export const HANGUP_GOAL_MS = 300;

/** "met" or "MISSED by …" for a p95 goal. */
export function goalVerdict(values: number[] | undefined, goalMs: number): string {
  const p95 = percentile(values, 95);
  if (p95 === undefined) return 'not measured';
  return p95 <= goalMs
    ? `met (p95 ${formatMs(p95)}, ${formatMs(goalMs - p95)} under)`
    : `MISSED (p95 ${formatMs(p95)}, x${(p95 / goalMs).toFixed(2)}, ${formatMs(p95 - goalMs)} over)`;
}

/**
 * The hang-up -> cancel push lines of a run whose first cancel is also the first run of the
 * cancel path in the emulator's trigger workers, which it starts on first use, one after
 * another (seen as "instance started" lines beside it). That one is printed apart, as a cold
 * start; the goal is checked on the rest, and all of them are printed too. Deployed, the
 * onCallWritten instances CANCEL_MIN_INSTANCES keeps warm take that cold start away.
 */
export function cancelLines(label: string, values: number[] | undefined): string[] {
  const [first, ...warm] = values ?? [];
  return [
    `  ${label}: ${percentiles(warm)}; goal p95 <= ${HANGUP_GOAL_MS} ms: ${goalVerdict(warm, HANGUP_GOAL_MS)}`,
    `    the run's first cancel (trigger workers starting): ${formatMs(first)}; all ${values?.length ?? 0}: ${percentiles(values)}`,
  ];
}

/** A run's figures, all of them, as one machine-readable line. */
export function logTimings(run: string, timings: object): void {
  log(`${run} timings ${JSON.stringify(timings)}`);
}
