// Prints the plain closing line CI counts, "N passed, N failed" (", N skipped" when any were skipped),
// as the very last line: Jest's own summary is written after reporters run, so wait for process exit.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    // A suite that fails to load has no failed tests; count it so the line never hides a broken file.
    const brokenSuites = results.testResults.filter((r) => r.testExecError).length;
    const line = `${results.numPassedTests} passed, ${results.numFailedTests + brokenSuites} failed${skipped ? `, ${skipped} skipped` : ''}`;
    process.once('exit', () => process.stdout.write(`\n${line}\n`));
  }
}
module.exports = SummaryReporter;
