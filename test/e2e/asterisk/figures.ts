/**
 * What the real-Asterisk run prints: its log lines, and the figures (ms) each test measures,
 * printed once the test ends (passed or failed) by the root hooks (hooks.ts), and all of them in
 * one machine-readable line at the end of the run.
 */
import { ms } from './world';

export type Figures = Record<string, number | undefined>;

export const log = (...args: unknown[]) => {
  console.log('[e2e-asterisk]', ...args);
};

/** Each test's figures by its title, in the order the tests were declared. */
const byTest = new Map<string, Figures>();

/** The run's own figures (percentiles over several tests), by name, for the last line. */
export const runFigures: Record<string, unknown> = {};

/**
 * An `it` whose body fills `figures`; returns them, for a suite's `after` hook to sum up (they
 * are filled only once the test has run).
 */
export function measured(title: string, body: (figures: Figures) => Promise<void>): Figures {
  const figures: Figures = {};
  byTest.set(title, figures);
  it(title, () => body(figures));
  return figures;
}

/** "name 12 ms, name 34 ms" for a test's figures; empty when it measured nothing. */
export function shown(title: string): string {
  return Object.entries(byTest.get(title) ?? {})
    .map(([name, value]) => `${name} ${ms(value)}`)
    .join(', ');
}

/** The whole run's figures, as one line. */
export function logTimings(): void {
  log(`timings ${JSON.stringify({ summary: runFigures, figures: Object.fromEntries(byTest) })}`);
}
