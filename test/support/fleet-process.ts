/**
 * `loa-sim fleet` (docs/simulator.md) as a child process for end-to-end tests where the cloud and the fleet
 * are separate processes (build first: ensureBuilt, processes.ts): start the fleet with its control HTTP on
 * a free port (read from its start lines); stop it with stopProcess (processes.ts). And a tiny JSON client for
 * the control routes, of that process or of a fleet started in-process (startFleet with `controlPort`).
 */
import { join } from "node:path";
import type { RunningFleet } from "../../firmware-sim/src/fleet/run-fleet.js";
import { cleanEnv } from "./cloud-process.js";
import { ROOT, spawnNode, waitForOutput, type ChildRun } from "./processes.js";

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

export interface FleetProcess extends ChildRun {
  /** `http://127.0.0.1:<port>` of the control interface. */
  controlUrl: string;
}

const CONTROL = /control (http:\/\/127\.0\.0\.1:\d+)\//;

/** Start `loa-sim fleet` and wait until it printed its control address (provisioning is done by then). */
export async function startFleetProcess(o: FleetProcessOptions, timeoutMs = 30_000): Promise<FleetProcess> {
  const args = [BIN, "fleet", "--cloud", o.cloud, "--count", String(o.count), "--state", o.statePath, "--data", o.dataDir];
  for (const a of o.areaIds) args.push("--area", a);
  args.push("--mqtt-url", o.mqttUrl, "--control-port", "0", ...(o.args ?? []));
  // The token goes by environment, so it is not in the process list.
  const run = spawnNode(args, cleanEnv({ LOA_API_TOKEN: o.apiToken }));
  const [, controlUrl = ""] = await waitForOutput(run, CONTROL, "loa-sim fleet's control address", timeoutMs);
  return { ...run, controlUrl };
}

export interface FleetControl {
  get<T>(path: string): Promise<T>;
  /** POST with a JSON body (`{}` when none). */
  post<T>(path: string, body?: unknown): Promise<T>;
}

/**
 * The fleet control interface's JSON routes (docs/simulator.md "Control interface"), at `fleet`: the base URL a fleet
 * process printed, or a fleet started in-process with a control port. A non-2xx answer throws with its body.
 */
export function fleetControl(fleet: string | RunningFleet | undefined): FleetControl {
  const port = typeof fleet === "object" ? fleet.control?.port : undefined;
  const baseUrl = typeof fleet === "string" ? fleet : port !== undefined ? `http://127.0.0.1:${port}` : undefined;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    if (baseUrl === undefined) throw new Error(`${method} ${path}: the fleet runs no control interface`);
    const res = await fetch(`${baseUrl}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  return { get: (path) => call("GET", path), post: (path, body = {}) => call("POST", path, body) };
}
