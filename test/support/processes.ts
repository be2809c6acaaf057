/**
 * What the cross-part tests share about processes (ARCHITECTURE §9): the compiled workspaces brought up to
 * date before a test runs them, a child (a compiled binary, mosquitto) started with its output kept, a wait
 * for the line it prints when ready, a free loopback port for a server that must come back on the same port,
 * a stop that always ends a child (SIGTERM, then SIGKILL) and a kill -9.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sleep } from "./wait.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** tsconfig.build.json's projects; each writes `<workspace>/dist/.tsbuildinfo` (its tsBuildInfoFile). */
const WORKSPACES = ["shared", "edge-agent", "firmware-sim", "cloud"];
/** What the tests start: present even when a tsbuildinfo claims the build is done. */
const ENTRY_POINTS = ["shared/dist/index.js", "edge-agent/dist/index.js", "firmware-sim/dist/main.js", "firmware-sim/dist/demo/main.js", "cloud/dist/main.js"];

const mtimeOf = (path: string): number => statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0;

/** Newest mtime of what a workspace's tsconfig compiles: src .ts and .json, not tests, fixtures or src/testing. */
function newestInput(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = e.name === "testing" && dir.endsWith("/src") ? t : Math.max(t, newestInput(p));
    else if (/\.(ts|json)$/.test(e.name) && !/\.(test|fixture)\.ts$/.test(e.name)) t = Math.max(t, mtimeOf(p));
  }
  return t;
}

/**
 * Stale the way `tsc -b` decides it: an input newer than its project's tsbuildinfo. Entry-point mtimes do
 * not tell: an incremental build leaves unchanged outputs alone, so they would look stale forever.
 */
function buildIsStale(): boolean {
  if (ENTRY_POINTS.some((p) => mtimeOf(join(ROOT, p)) === 0)) return true;
  return WORKSPACES.some((w) => newestInput(join(ROOT, w, "src")) > mtimeOf(join(ROOT, w, "dist", ".tsbuildinfo")));
}

/** `tsc -b tsconfig.build.json` (every workspace) when the compiled code is missing or older than a source. */
export function ensureBuilt(): void {
  if (!buildIsStale()) return;
  const hadBuild = ENTRY_POINTS.every((p) => mtimeOf(join(ROOT, p)) > 0);
  try {
    execFileSync("npx", ["tsc", "-b", "tsconfig.build.json"], { cwd: ROOT, stdio: "inherit", timeout: 300_000 });
  } catch (err) {
    // Outside CI a source being edited elsewhere may not compile for a moment: run the last build, loudly.
    if (process.env["CI"] === "true" || !hadBuild) throw err;
    console.warn("\n!!! the build failed: these tests run the PREVIOUS build in */dist !!!\n");
  }
}

/** A port nothing listens on right now on 127.0.0.1 (for a process that must come back on the same port). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", resolve);
  });
  const addr = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (addr === null || typeof addr === "string") throw new Error("no port");
  return addr.port;
}

/** kill -9: no shutdown path at all (like a power cut); resolves once the process is gone. */
export async function killProcess(p: { proc: ChildProcess; exited: Promise<number | null> }): Promise<void> {
  if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill("SIGKILL");
  await p.exited;
}

/** SIGTERM (a cloud or fleet then shuts down safely), SIGKILL after `graceMs`; the exit code, null when killed by a signal. */
export async function stopProcess(p: { proc: ChildProcess; exited: Promise<number | null> }, graceMs = 8000): Promise<number | null> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return p.proc.exitCode;
  p.proc.kill("SIGTERM");
  const timer = setTimeout(() => p.proc.kill("SIGKILL"), graceMs);
  const code = await p.exited;
  clearTimeout(timer);
  return code;
}

/** A child process with its output kept as text. */
export interface ChildRun {
  proc: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

/** `command <args>` run from ROOT, stdout and stderr kept; `env` defaults to this process's. */
export function spawnChild(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): ChildRun {
  const proc = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stdout?.on("data", (b: Buffer) => (out += b.toString("utf8")));
  proc.stderr?.on("data", (b: Buffer) => (err += b.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return { proc, exited, stdout: () => out, stderr: () => err };
}

/** `node <args>` (a bin script of a workspace, then its arguments), as spawnChild. */
export function spawnNode(args: readonly string[], env?: NodeJS.ProcessEnv): ChildRun {
  return spawnChild(process.execPath, args, env);
}

/**
 * The first match of `pattern` in the child's stdout (a ready line, a control address). Throws with the
 * child's output if it exits first, or SIGKILLs it and throws after `timeoutMs`.
 */
export async function waitForOutput(run: ChildRun, pattern: RegExp, what: string, timeoutMs: number): Promise<RegExpExecArray> {
  let exitCode: number | null | undefined;
  void run.exited.then((c) => (exitCode = c));
  const end = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(run.stdout());
    if (m) return m;
    if (exitCode !== undefined) throw new Error(`${what}: exited with ${exitCode} before printing it:\n${run.stdout()}\n${run.stderr()}`);
    if (Date.now() > end) {
      run.proc.kill("SIGKILL");
      throw new Error(`${what}: not printed within ${timeoutMs} ms:\n${run.stdout()}\n${run.stderr()}`);
    }
    await sleep(25);
  }
}
