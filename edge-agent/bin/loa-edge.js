#!/usr/bin/env -S node --max-semi-space-size=1 --lite-mode --no-expose-wasm --single-threaded-gc
// Thin launcher: the workspace ships compiled JS (npm run build), never tsx. The node flags are the
// receiver's small-board settings, the same as ExecStart in deploy/loa-edge.service (docs/performance.md).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));
if (!existsSync(main)) {
  console.error(`${main} is missing: run "npm run build" in the repository root first.`);
  process.exit(1);
}
await import(main);
