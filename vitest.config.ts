import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

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
    include: ["*/src/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
  },
});
