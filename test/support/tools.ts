import { execFileSync } from "node:child_process";

/** True when `name` is on PATH. */
export function hasTool(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Gate for tests that need an external program. Outside CI a missing tool skips the suite with a loud
 * message; under CI=true it throws, because CI installs every tool and must never skip silently.
 * Usage: `describe.skipIf(!requireTool("socat"))(...)`.
 */
export function requireTool(name: string): boolean {
  if (hasTool(name)) return true;
  if (process.env.CI === "true") throw new Error(`required tool "${name}" is missing under CI=true; .ci/run must install it`);
  console.warn(`\n!!! SKIPPING tests that need "${name}": it is not installed (apt-get install it to run them) !!!\n`);
  return false;
}
