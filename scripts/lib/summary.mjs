// A test step's counts for scripts/test.mjs, as JSON in the file CALLWAKE_TEST_SUMMARY names:
// {passed, failed, pending, failures: [titles]}, what test/support/summaryReporter.cjs writes
// for a mocha run. Counts read from a file, not matched in the step's text output.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SUMMARY_ENV = 'CALLWAKE_TEST_SUMMARY';
/** The mocha reporter that writes it (relative to the repository's root). */
export const SUMMARY_REPORTER = join('test', 'support', 'summaryReporter.cjs');

/** Writes the step's summary when the caller asked for one (CALLWAKE_TEST_SUMMARY). */
export function writeSummary({ passed, failed, pending = 0, failures = [] }, env = process.env) {
  const file = env[SUMMARY_ENV];
  if (file) writeFileSync(file, `${JSON.stringify({ passed, failed, pending, failures })}\n`);
}

/** The summary a step wrote to `file`, or undefined when it wrote none (it ended before). */
export function readSummary(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
