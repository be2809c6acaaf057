/**
 * `loa-sim fleet` (docs/simulator.md) as a child process for end-to-end tests where the cloud and the fleet
 * are separate processes: build when any dist is stale, start the fleet with its control HTTP on a free
 * port (read from its start lines), a tiny JSON client for the control routes, and a kill that always ends
 * the process (SIGKILL after a grace period).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { cleanEnv, ROOT } from "./cloud-process.js";

const BIN = join(ROOT, "firmware-sim/bin/loa-sim.js");
const BUILT = ["cloud/dist/main.js", "firmware-sim/dist/main.js", "edge-agent/dist/index.js", "shared/dist/index.js"];
const SOURCES = ["shared/src", "edge-agent/src", "firmware-sim/src", "cloud/src"];

function newestSource(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestSource(p));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts")) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** `tsc -b` when a compiled entry point is missing or older than a source of any workspace. */
export function ensureAllBuilt(): void {
  const built = Math.min(...BUILT.map((p) => statSync(join(ROOT, p), { throwIfNoEntry: false })?.mtimeMs ?? 0));
  if (built >= Math.max(...SOURCES.map((s) => newestSource(join(ROOT, s))))) return;
  try {
    execFileSync("npx", ["tsc", "-b", "tsconfig.build.json"], { cwd: ROOT, stdio: "inherit", timeout: 300_000 });
  } catch (err) {
    // Outside CI a source being edited elsewhere may not compile for a moment: run the last build, loudly.
    if (process.env["CI"] === "true" || built === 0) throw err;
    console.warn("\n!!! the build failed: these tests run the PREVIOUS build in */dist !!!\n");
  }
}

/** A port nothing listens on right now on 127.0.0.1 (for a process that must come back on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface FleetProcessOptions {
  cloud: string;
  apiToken: string;
  count: number;
  areaIds: readonly string[];
  statePath: string;
  dataDir: string;
  mqttUrl: string;
  /** Extra flags, e.g. ["--amp-poll-s", "1"]. */
  args?: readonly string[];
}

export interface FleetProcess {
  proc: ChildProcess;
  /** `http://127.0.0.1:<port>` of the control interface. */
  controlUrl: string;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

const CONTROL = /control (http:\/\/127\.0\.0\.1:\d+)\//;

/** Start `loa-sim fleet` and wait until it printed its control address (provisioning is done by then). */
export async function startFleetProcess(o: FleetProcessOptions, timeoutMs = 30_000): Promise<FleetProcess> {
  const args = [BIN, "fleet", "--cloud", o.cloud, "--count", String(o.count), "--state", o.statePath, "--data", o.dataDir];
  for (const a of o.areaIds) args.push("--area", a);
  args.push("--mqtt-url", o.mqttUrl, "--control-port", "0", ...(o.args ?? []));
  // The token goes by environment, so it is not in the process list.
  const proc = spawn(process.execPath, args, { cwd: ROOT, env: cleanEnv({ LOA_API_TOKEN: o.apiToken }), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stdout?.on("data", (b: Buffer) => (out += b.toString("utf8")));
  proc.stderr?.on("data", (b: Buffer) => (err += b.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const until = Date.now() + timeoutMs;
  for (;;) {
    const m = CONTROL.exec(out);
    if (m?.[1]) return { proc, controlUrl: m[1], stdout: () => out, stderr: () => err, exited };
    if (gone || Date.now() > until) {
      proc.kill("SIGKILL");
      throw new Error(`loa-sim fleet did not start:\n${out}\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** SIGTERM (the fleet stops its receivers safely), SIGKILL after `graceMs`; a no-op once it exited. */
export async function stopProcess(p: { proc: ChildProcess; exited: Promise<number | null> }, graceMs = 8000): Promise<number | null> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return p.proc.exitCode;
  p.proc.kill("SIGTERM");
  const timer = setTimeout(() => p.proc.kill("SIGKILL"), graceMs);
  const code = await p.exited;
  clearTimeout(timer);
  return code;
}

/** The fleet control interface's JSON routes; a non-2xx answer throws with its body. */
export function fleetControl(baseUrl: string): { get<T>(path: string): Promise<T>; post<T>(path: string, body?: unknown): Promise<T> } {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${baseUrl}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  return { get: (path) => call("GET", path), post: (path, body = {}) => call("POST", path, body) };
}
