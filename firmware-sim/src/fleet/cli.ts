/**
 * `loa-sim fleet --cloud URL --api-token T --count N [...]` (ARCHITECTURE §9): provisions what it lacks
 * through the REST API, then runs N receivers with real edge-agent code in this process until SIGINT/SIGTERM.
 */
import { parseArgs } from "node:util";
import { CliUsageError, type CliIo } from "../cli/io.js";
import { LOG_LEVELS, startSubcommand, waitForStop } from "../cli/subcommand.js";
import { DEFAULT_STATE_FILE, startFleet, type FleetOptions, type RunningFleet } from "./run-fleet.js";
import { formatSummary, startSummaryPrinter } from "./summary.js";

export const FLEET_USAGE = `usage: loa-sim fleet --cloud URL --api-token T --count N [options]

  --cloud URL            the cloud (http://host:8080)
  --api-token T          API token of an admin or operator (POST /api/v1/tokens); or LOA_API_TOKEN
  --count N              receivers to run (provisions the missing ones)
  --area ID              village or commune for new receivers; repeat for several
                         (default: every village the token sees, else every commune)
  --capture DIR          a WAV per play under DIR/<deviceId>/ with real ffmpeg decoding
                         (default: timing sink, no decoding: 1,000 receivers fit on 2 cores)
  --state FILE           what was provisioned, reused on the next run (default ${DEFAULT_STATE_FILE})
  --data DIR             per-receiver data directories (default .loa-fleet-data beside --state)
  --control-port N       HTTP control on 127.0.0.1:N (0: any free port; printed at start)
  --jitter-ms N          receivers start at random moments within N ms (default 5000)
  --mqtt-url URL         broker to use instead of the one in the edge configs (mqtt:// only)
  --profile ID           amplifier profile for new receivers (default: the cloud's)
  --amp-poll-s N         amplifier status poll per receiver (default 30)
  --telemetry-s N        telemetry period per receiver, 5-3600 (default 30)
  --log-level LEVEL      pino level on stderr (default warn)

docs/simulator.md describes what is emulated and the control routes.`;

export interface FleetCliOptions extends Omit<FleetOptions, "log"> {
  logLevel: string;
}

function int(text: string | undefined, name: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliUsageError(`--${name} must be a whole number from ${min} to ${max}`);
  return n;
}

/** Throws CliUsageError naming the bad option; "help" for --help. */
export function parseFleetArgs(argv: string[], env: Record<string, string | undefined> = {}): FleetCliOptions | "help" {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      cloud: { type: "string" }, "api-token": { type: "string" }, count: { type: "string" },
      area: { type: "string", multiple: true }, capture: { type: "string" }, state: { type: "string" }, data: { type: "string" },
      "control-port": { type: "string" }, "jitter-ms": { type: "string" }, "mqtt-url": { type: "string" }, profile: { type: "string" },
      "amp-poll-s": { type: "string" }, "telemetry-s": { type: "string" },
      "log-level": { type: "string", default: "warn" }, help: { type: "boolean", short: "h", default: false },
    },
  });
  if (v.help) return "help";
  const token = v["api-token"] ?? env["LOA_API_TOKEN"];
  const problems: string[] = [];
  if (!v.cloud || !URL.canParse(v.cloud) || !/^https?:$/.test(new URL(v.cloud).protocol)) problems.push("--cloud must be an http(s) URL like http://localhost:8080");
  if (!token) problems.push("--api-token (or LOA_API_TOKEN) is required");
  if (v.count === undefined) problems.push("--count N is required");
  if (v["mqtt-url"] !== undefined && !/^(mqtt|tcp):\/\/[^/]+/.test(v["mqtt-url"])) problems.push("--mqtt-url must be mqtt://host:port");
  if (!LOG_LEVELS.includes(v["log-level"])) problems.push(`--log-level must be one of ${LOG_LEVELS.join(", ")}`);
  if (problems.length > 0) throw new CliUsageError(problems.join("\n"));
  const ampPollS = int(v["amp-poll-s"], "amp-poll-s", 1, 3600);
  const telemetryS = int(v["telemetry-s"], "telemetry-s", 5, 3600);
  const controlPort = int(v["control-port"], "control-port", 0, 65_535);
  const jitterMs = int(v["jitter-ms"], "jitter-ms", 0, 3_600_000);
  return {
    cloud: v.cloud as string,
    apiToken: token as string,
    count: int(v.count, "count", 1, 100_000) as number,
    ...(v.area ? { areaIds: v.area } : {}),
    ...(v.capture !== undefined ? { capture: v.capture } : {}),
    ...(v.state !== undefined ? { statePath: v.state } : {}),
    ...(v.data !== undefined ? { dataDir: v.data } : {}),
    ...(controlPort !== undefined ? { controlPort } : {}),
    ...(jitterMs !== undefined ? { jitterMs } : {}),
    ...(v["mqtt-url"] !== undefined ? { mqttUrl: v["mqtt-url"] } : {}),
    ...(v.profile !== undefined ? { profile: v.profile } : {}),
    agent: { ...(ampPollS !== undefined ? { ampPollMs: ampPollS * 1000 } : {}), ...(telemetryS !== undefined ? { telemetryIntervalS: telemetryS } : {}) },
    logLevel: v["log-level"],
  };
}

function describe(f: RunningFleet, capture: string | undefined): string {
  const p = f.provision;
  const lines = [
    `loa-sim fleet: ${p.receivers.length} receivers (${p.reused} reused, ${p.provisioned} provisioned${p.forgotten.length ? `, ${p.forgotten.length} forgotten` : ""})`,
    `  broker ${f.upstreamMqttUrl} through ${f.network.url}; state ${f.statePath}; data ${f.dataDir}`,
    `  audio: ${capture ? `WAV captures under ${capture}` : "timing sink (no decoding)"}`,
  ];
  if (f.control) lines.push(`  control http://127.0.0.1:${f.control.port}/`);
  return `${lines.join("\n")}\n`;
}

/** The `fleet` subcommand: runs until SIGINT or SIGTERM; returns the exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const started = await startSubcommand(argv, io, {
    name: "fleet",
    usage: FLEET_USAGE,
    parse: (args) => parseFleetArgs(args, process.env),
    start: (opts, log) => startFleet({ ...opts, log }),
  });
  if (typeof started === "number") return started;
  const { opts, running } = started;
  io.stdout.write(describe(running, opts.capture));
  const stopPrinter = startSummaryPrinter({ out: io.stdout, read: () => running.fleet.summary() });
  await waitForStop();
  stopPrinter();
  io.stdout.write("loa-sim fleet: stopping receivers…\n");
  await running.stop();
  io.stdout.write(`${formatSummary(running.fleet.summary())}\n`);
  return 0;
}
