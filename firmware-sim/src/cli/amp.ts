/**
 * `loa-sim amp --port PATH [--profile ID|FILE] [--unit N] [--baud N]` (ARCHITECTURE §9): the amplifier
 * simulator on a serial device, with the control interface on stdin and, with --control-port, on HTTP.
 */
import { SystemClock, loadProfile, type AmpProfile } from "@loa/shared";
import type { Logger } from "pino";
import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";
import { parseArgs } from "node:util";
import type { SerialPort } from "serialport";
import { ModbusSlave } from "../adapters/modbus-slave.js";
import { closeSerialLine, openSerialLine } from "../adapters/serial-line.js";
import { CONTROL_HELP } from "../control/commands.js";
import { startHttpControl, type HttpControl } from "../control/http-control.js";
import { startLineControl, type LineControl } from "../control/line-control.js";
import { AmpEngine } from "../core/amp-engine.js";
import { CliUsageError, type CliIo } from "./io.js";
import { LOG_LEVELS, startSubcommand, waitForStop } from "./subcommand.js";

export const AMP_USAGE = `usage: loa-sim amp --port PATH [options]

  --port PATH            serial device or PTY to answer on (required)
  --profile ID|FILE      amplifier profile: bundled id or JSON file (default loa-amp-v1)
  --unit N               Modbus unit id (default: the profile's, 1)
  --baud N               baud rate (default: the profile's, 9600)
  --parity none|even|odd (default: the profile's, none)
  --control-port N       HTTP control on 127.0.0.1:N (0: any free port; printed at start)
  --no-stdin             do not read control commands from stdin
  --trace FILE|-         append the register trace as JSON Lines to FILE, or to stdout with -
  --warmup MS            override the profile's warmupMs
  --firmware MAJOR.MINOR firmware version to report (default 1.0)
  --log-level LEVEL      pino level on stderr (default info)

control commands (stdin, one per line; HTTP routes in docs/amplifier.md):
${CONTROL_HELP.replace(/^/gm, "  ")}
  quit                           stop the simulator`;

export interface AmpSimOptions {
  port: string;
  profile: string;
  unit?: number;
  baud?: number;
  parity?: "none" | "even" | "odd";
  controlPort?: number;
  stdin: boolean;
  trace?: string;
  warmupMs?: number;
  firmware: { major: number; minor: number };
  logLevel: string;
}

function int(text: string | undefined, name: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliUsageError(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}

/** Throws CliUsageError on a bad or missing option; "help" for --help. */
export function parseAmpArgs(argv: string[]): AmpSimOptions | "help" {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: "string" },
      profile: { type: "string", default: "loa-amp-v1" },
      unit: { type: "string" },
      baud: { type: "string" },
      parity: { type: "string" },
      "control-port": { type: "string" },
      "no-stdin": { type: "boolean", default: false },
      trace: { type: "string" },
      warmup: { type: "string" },
      firmware: { type: "string", default: "1.0" },
      "log-level": { type: "string", default: "info" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (v.help) return "help";
  if (!v.port) throw new CliUsageError("--port PATH is required");
  if (v.parity !== undefined && !["none", "even", "odd"].includes(v.parity)) throw new CliUsageError("--parity must be none, even or odd");
  if (!LOG_LEVELS.includes(v["log-level"])) throw new CliUsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}`);
  const fw = /^(\d{1,3})\.(\d{1,3})$/.exec(v.firmware);
  if (!fw || Number(fw[1]) > 255 || Number(fw[2]) > 255) throw new CliUsageError("--firmware must be MAJOR.MINOR, each 0-255");
  return {
    port: v.port,
    profile: v.profile,
    unit: int(v.unit, "unit", 1, 247),
    baud: int(v.baud, "baud", 300, 921_600),
    parity: v.parity as AmpSimOptions["parity"],
    controlPort: int(v["control-port"], "control-port", 0, 65_535),
    stdin: !v["no-stdin"],
    trace: v.trace,
    warmupMs: int(v.warmup, "warmup", 0, 120_000),
    firmware: { major: Number(fw[1]), minor: Number(fw[2]) },
    logLevel: v["log-level"],
  };
}

export interface RunningAmpSim {
  engine: AmpEngine;
  slave: ModbusSlave;
  line: SerialPort;
  profile: AmpProfile;
  /** Bound HTTP control port, when --control-port was given. */
  controlPort: number | undefined;
  /** Resolves when a `quit` command arrives on stdin. */
  quit: Promise<void>;
  close(): Promise<void>;
}

/** Open the line and the control interfaces; everything it starts is stopped by close(). */
export async function startAmpSim(opts: AmpSimOptions, io: CliIo, log: Logger): Promise<RunningAmpSim> {
  const loaded = await loadProfile(opts.profile);
  const profile = opts.warmupMs === undefined ? loaded : { ...loaded, warmupMs: opts.warmupMs };
  const clock = new SystemClock();
  const engine = new AmpEngine({ profile, clock, log: log.child({ ns: "sim.amp.engine" }), firmwareVersion: opts.firmware, ...(opts.unit ? { unitId: opts.unit } : {}) });
  const serial = { ...profile.serial, ...(opts.baud ? { baud: opts.baud } : {}), ...(opts.parity ? { parity: opts.parity } : {}) };
  const line = await openSerialLine({ path: opts.port, baudRate: serial.baud, parity: serial.parity, dataBits: serial.dataBits, stopBits: serial.stopBits });
  const slave = new ModbusSlave({ engine, stream: line, clock, log: log.child({ ns: "sim.amp.slave" }) });
  const stopTrace = opts.trace === undefined ? undefined : traceTo(engine, opts.trace, io.stdout);
  let http: HttpControl | undefined;
  let lines: LineControl | undefined;
  let onQuit = (): void => {};
  const quit = new Promise<void>((resolve) => (onQuit = resolve));
  try {
    if (opts.controlPort !== undefined) http = await startHttpControl(engine, opts.controlPort);
    if (opts.stdin) lines = startLineControl(engine, io.stdin, io.stdout, onQuit);
  } catch (err) {
    slave.close();
    await closeSerialLine(line);
    throw err;
  }
  const close = async (): Promise<void> => {
    lines?.close();
    slave.close();
    stopTrace?.();
    await http?.close();
    await closeSerialLine(line);
  };
  return { engine, slave, line, profile, controlPort: http?.port, quit, close };
}

function traceTo(engine: AmpEngine, target: string, stdout: Writable): () => void {
  const out = target === "-" ? stdout : createWriteStream(target, { flags: "a" });
  const stop = engine.onTrace((entry) => void out.write(`${JSON.stringify(entry)}\n`));
  return () => {
    stop();
    if (out !== stdout) out.end();
  };
}

function describe(sim: RunningAmpSim, opts: AmpSimOptions): string {
  const s = sim.profile.serial;
  const frame = `${opts.baud ?? s.baud} ${s.dataBits}${(opts.parity ?? s.parity)[0]?.toUpperCase() ?? "N"}${s.stopBits}`;
  const control = sim.controlPort === undefined ? "" : `; control http://127.0.0.1:${sim.controlPort}`;
  return `loa-sim amp: unit ${sim.engine.unitId} (${sim.profile.id}) on ${opts.port} at ${frame}${control}\n`;
}

/** The `amp` subcommand: runs until SIGINT, SIGTERM or `quit`; returns the exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const started = await startSubcommand(argv, io, {
    name: "amp",
    usage: AMP_USAGE,
    parse: parseAmpArgs,
    start: (opts, log) => startAmpSim(opts, io, log),
  });
  if (typeof started === "number") return started;
  const { opts, running: sim } = started;
  io.stdout.write(describe(sim, opts));
  await waitForStop(sim.quit);
  await sim.close();
  return 0;
}
