/** `npm run demo` entry (scripts/demo.mjs imports the compiled file): wiring only; the demo is run-demo.ts. */
import { fileURLToPath } from "node:url";
import { runDemo } from "./run-demo.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
let onSignal = (): void => undefined;
const interrupted = new Promise<void>((resolve) => (onSignal = resolve));
let signals = 0;
const stop = (): void => {
  // A second Ctrl-C while stopping: leave at once (the cloud child is killed on exit).
  if (++signals > 1) process.exit(130);
  process.stdout.write("\n");
  onSignal();
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

try {
  process.exitCode = await runDemo({ env: process.env, out: process.stdout, root, cwd: process.cwd(), interrupted });
} catch (err) {
  process.stderr.write(`npm run demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
process.off("SIGINT", stop);
process.off("SIGTERM", stop);
