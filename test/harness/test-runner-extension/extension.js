// Runs the integration test entry named by DDSTORE_TEST_ENTRY from a second development extension.
//
// VS Code skips every modal dialog while it runs extension tests (its DialogService returns the
// cancel button when extensionTestsPath is set, in VS Code 1.139), so phases that press dialog
// buttons load the tests this way instead. The entry writes its summary to EXT_TEST_RESULT_FILE,
// and the harness stops code-server once that file exists.
'use strict';

exports.activate = function activate() {
  const entry = process.env.DDSTORE_TEST_ENTRY;
  if (!entry) {
    return;
  }
  require(entry)
    .run()
    .then(
      () => console.log('test runner: the test run passed'),
      (error) => console.error(`test runner: the test run failed: ${error && error.message ? error.message : error}`),
    );
};

exports.deactivate = function deactivate() {};
