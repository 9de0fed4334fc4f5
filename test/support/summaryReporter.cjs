// A mocha reporter: the Spec reporter's console output, and, when CALLWAKE_TEST_SUMMARY names a
// file, the run's counts written there as JSON ({passed, failed, pending, failures: [full
// titles]}) so that scripts/test.mjs reads them instead of parsing the text. Use it with
// `mocha --reporter test/support/summaryReporter.cjs`.
'use strict';
/* global process */
const { writeFileSync } = require('node:fs');
const { Spec } = require('mocha').reporters;
const { EVENT_RUN_END, EVENT_TEST_FAIL } = require('mocha').Runner.constants;

class SummaryReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    const file = process.env.CALLWAKE_TEST_SUMMARY;
    if (!file) return;
    // A failing hook arrives here too, titled for the hook ("before all" hook for …).
    const failures = [];
    runner.on(EVENT_TEST_FAIL, (test) => failures.push(test.fullTitle()));
    // Written as the run ends, before `--exit` ends the process.
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures: failed, pending } = runner.stats;
      writeFileSync(file, `${JSON.stringify({ passed: passes, failed, pending, failures })}\n`);
    });
  }
}

module.exports = SummaryReporter;
