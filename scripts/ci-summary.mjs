// Reads vitest's JSON report and prints the closing line CI reads: "N passed, N failed[, N skipped]".
// Exit code: 0 only when the report exists, something ran, nothing failed, and (under CI) nothing skipped.
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? "test-results/vitest.json";
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch (err) {
  console.error(`ci-summary: no readable vitest report at ${file}: ${err.message}`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
// Suites that failed to load (syntax errors, import failures) count as failures too.
const failedSuites = (report.testResults ?? []).filter((r) => r.status === "failed" && (r.assertionResults ?? []).length === 0).length;
const failed = (report.numFailedTests ?? 0) + failedSuites;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
const ci = process.env.CI === "true";
if (ci && skipped > 0) console.error(`ci-summary: ${skipped} test(s) skipped under CI=true; that counts as failure`);
console.log(skipped > 0 ? `${passed} passed, ${failed} failed, ${skipped} skipped` : `${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 || (ci && skipped > 0) ? 1 : 0);
