#!/usr/bin/env node
// Thin launcher: the workspace ships compiled JS (npm run build), never tsx.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));
if (!existsSync(main)) {
  console.error(`${main} is missing: run "npm run build" in the repository root first.`);
  process.exit(1);
}
await import(main);
