// `npm run demo` (root package.json: "npm run build && node scripts/demo.mjs"): thin launcher of the compiled
// demo (firmware-sim/src/demo/), which starts loa-cloud, seeds it and runs a fleet of simulated receivers.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../firmware-sim/dist/demo/main.js", import.meta.url));
if (!existsSync(main)) {
  console.error(`${main} is missing: run "npm run build" in the repository root first.`);
  process.exit(1);
}
await import(main);
