/** Distributions and ratios for the bench: nearest-rank percentiles over raw samples. */

export interface Distribution {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
}

/** The nearest-rank percentile `p` (0–100) of `samples`; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

export const median = (samples: readonly number[]) => percentile(samples, 50);

export function distribution(samples: readonly number[]): Distribution {
  return {
    n: samples.length,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
    min: samples.length ? Math.min(...samples) : Number.NaN,
    max: samples.length ? Math.max(...samples) : Number.NaN,
  };
}

/** `a / b`, rounded to two decimals (NaN when b is 0). */
export const ratio = (a: number, b: number) =>
  b === 0 ? Number.NaN : Math.round((a / b) * 100) / 100;

/** Milliseconds as the table shows them: whole numbers as they are, fractions to 0.1 ms. */
export function ms(value: number): string {
  if (Number.isNaN(value)) return 'n/a';
  return Number.isInteger(value) || value >= 100
    ? `${Math.round(value)} ms`
    : `${value.toFixed(1)} ms`;
}

export const sleep = (msToWait: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, msToWait));
