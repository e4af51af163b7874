// Mocha reporter that prints the spec output and writes a JSON summary
// {passed, failed, pending, failures: [{title, error}]} to the file named by the reporter option
// `output`, for example: mocha --reporter ./test/harness/summary-reporter.cjs --reporter-option output=unit.json
'use strict';

const fs = require('fs');
const Mocha = require('mocha');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const output = options && options.reporterOptions && options.reporterOptions.output;
    const summary = { passed: 0, failed: 0, pending: 0, failures: [] };

    runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, () => {
      summary.passed++;
    });
    runner.on(Mocha.Runner.constants.EVENT_TEST_PENDING, () => {
      summary.pending++;
    });
    // Failed hooks arrive here too, so a broken before() counts as a failure instead of vanishing.
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test, error) => {
      summary.failed++;
      summary.failures.push({ title: test.fullTitle(), error: String((error && (error.stack || error.message)) || error) });
    });
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      if (output) {
        fs.writeFileSync(output, JSON.stringify(summary, null, 2));
      }
    });
  }
}

module.exports = SummaryReporter;
