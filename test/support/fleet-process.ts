/**
 * `loa-sim fleet` (docs/simulator.md) as a child process for end-to-end tests where the cloud and the fleet
 * are separate processes (build first: ensureBuilt, processes.ts): start the fleet with its control HTTP on
 * a free port (read from its start lines) and a tiny JSON client for the control routes; stop it with
 * stopProcess (processes.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { cleanEnv } from "./cloud-process.js";
import { ROOT } from "./processes.js";

const BIN = join(ROOT, "firmware-sim/bin/loa-sim.js");

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
