import type { Reporter, TestModule } from 'vitest/node';

/**
 * Vitest reporter that closes a run with one plain line, alone on its line:
 * `tests: <passed> passed, <failed> failed, <skipped> skipped`.
 *
 * Vitest's default summary ("Tests  732 passed (732)") is meant for people; this line is the
 * runner-neutral form CI tools read. A run interrupted or with unhandled errors counts each
 * unhandled error as one failure, so the line never claims a clean run that was not.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const mod of testModules) {
      // A module that failed to load (syntax error, throwing import) has no test cases.
      if (mod.state() === 'failed' && [...mod.children.allTests()].length === 0) failed += 1;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failed += 1;
        else skipped += 1;
      }
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
