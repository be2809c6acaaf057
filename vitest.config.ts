import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * Two groups: unit tests run in parallel first; then the timing-sensitive and cross-part tests (real clock
 * start-time checks, child processes, brokers) run one file at a time, so two cores shared with parallel
 * workers cannot make a 20 ms start target fail.
 */
const serialFiles = ["test/**/*.test.ts", "*/src/**/*.integration.test.ts", "*/src/**/*.serial.test.ts", "*/src/**/*.kill.test.ts"];
/** Timing probes print figures and assert nothing worth CI time: `LOA_TIMING=1 npx vitest run <file>` runs them. */
const timingFiles = process.env.LOA_TIMING ? [] : ["*/src/**/*.timing.test.ts"];

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@loa\/shared$/, replacement: src("./shared/src/index.ts") },
      { find: /^@loa\/edge-agent$/, replacement: src("./edge-agent/src/index.ts") },
      { find: /^@loa\/firmware-sim$/, replacement: src("./firmware-sim/src/index.ts") },
      { find: /^@loa\/cloud$/, replacement: src("./cloud/src/index.ts") },
    ],
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["*/src/**/*.test.ts"], exclude: ["**/node_modules/**", "**/dist/**", ...serialFiles, ...timingFiles] },
      },
      {
        extends: true,
        test: {
          name: "serial",
          include: serialFiles,
          exclude: ["**/node_modules/**", "**/dist/**"],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
