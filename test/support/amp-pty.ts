/**
 * Shared by the amplifier PTY tests (amp-pty.test.ts, amp-pty-line.test.ts): the compiled `loa-sim amp` as a
 * child process steered through its 127.0.0.1 HTTP control (docs/amplifier.md, "Control interface"), and the
 * edge-agent driver stack (SerialPortTransport + ModbusMaster + ModbusAmplifier + AmpMonitor) for the other
 * end of a socat PTY pair (ARCHITECTURE §5); SimLine sets up (and closes) all three.
 */
import { join } from "node:path";
import { pino } from "pino";
import { SystemClock, getProfile } from "@loa/shared";
import { ModbusAmplifier, ModbusMaster, SerialPortTransport } from "../../edge-agent/src/adapters/amp/index.js";
import { SocatPair } from "../../edge-agent/src/adapters/amp/socat.fixture.js";
import { AmpMonitor, type AmpMonitorEvent } from "../../edge-agent/src/core/amp-monitor.js";
import { ROOT, spawnNode, stopProcess, waitForOutput, type ChildRun } from "./processes.js";

const SIM_BIN = join(ROOT, "firmware-sim", "bin", "loa-sim.js");
export const WARMUP_MS = 300;
const log = pino({ level: "silent" });

/** A register trace entry as `GET /trace` returns it (firmware-sim/src/core/trace.ts). */
export interface TraceEntry {
  t: number;
  dir: "request" | "reply";
  fc: number;
  address?: number;
  quantity?: number;
  values?: number[];
  delayMs?: number;
  note?: string;
}

/** `loa-sim amp` on `port`, with its HTTP control on a free 127.0.0.1 port (build it first: ensureBuilt, processes.ts). */
export class SimProcess {
  private constructor(
    private readonly run: ChildRun,
    readonly control: string,
  ) {}

  static async start(port: string, profile = "loa-amp-v1"): Promise<SimProcess> {
    const args = [SIM_BIN, "amp", "--port", port, "--profile", profile, "--control-port", "0", "--no-stdin", "--warmup", String(WARMUP_MS), "--firmware", "1.2", "--log-level", "warn"];
    const run = spawnNode(args);
    const [, control = ""] = await waitForOutput(run, /control (http:\/\/127\.0\.0\.1:\d+)/, "loa-sim amp's control address", 15_000);
    return new SimProcess(run, control);
  }

  async get<T>(path: string): Promise<T> {
    const res = await fetch(`${this.control}${path}`);
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async post(path: string, body: Record<string, unknown>): Promise<void> {
    const res = await fetch(`${this.control}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  }

  /** Every request and reply the simulator traced (its last 1000), oldest first. */
  trace(): Promise<TraceEntry[]> {
    return this.get<TraceEntry[]>("/trace?limit=10000");
  }

  /** Writes the simulator received (FC 06 → "addr=value", FC 05 → "coilN=0|1"), oldest first. */
  async writes(): Promise<string[]> {
    const trace = await this.trace();
    return trace.flatMap((e) =>
      e.dir !== "request" ? [] : e.fc === 6 ? [`${e.address}=${e.values?.[0]}`] : e.fc === 5 ? [`coil${e.address}=${e.values?.[0]}`] : [],
    );
  }

  async registers(): Promise<Record<string, number>> {
    return (await this.get<{ registers: Record<string, number> }>("/state")).registers;
  }

  /** SIGTERM, SIGKILL after 3 s. */
  async stop(): Promise<void> {
    await stopProcess(this.run, 3_000);
  }
}

export interface DriverOptions {
  /** The master's wait per attempt (default 300 ms). */
  timeoutMs?: number;
  /** The master's extra attempts (default 5). */
  retries?: number;
}

/**
 * Driver stack on `path`. Retries 5 by default: under injected CRC noise (20 % of replies) a request then fails
 * 1 in 15 000. The monitor polls every 100 ms and calls the amplifier unreachable after 3 failed polls.
 */
function driver(path: string, profileId = "loa-amp-v1", opts: DriverOptions = {}) {
  const clock = new SystemClock();
  const transport = new SerialPortTransport({ path, clock, log, backoff: { initialMs: 100, maxMs: 500 } });
  const master = new ModbusMaster({ transport, clock, log, options: { timeoutMs: opts.timeoutMs ?? 300, retries: opts.retries ?? 5 } });
  const amp = new ModbusAmplifier({ client: master, profile: getProfile(profileId), clock, log, transport, options: { rampIntervalMs: 20 } });
  const events: AmpMonitorEvent[] = [];
  const monitor = new AmpMonitor({ amp, clock, log, emit: (e) => void events.push(e), options: { intervalMs: 100, unreachableAfter: 3 } });
  return { transport, master, amp, monitor, events };
}

export type Driver = ReturnType<typeof driver>;

/**
 * `loa-sim amp` on one end of a socat PTY pair and the driver stack on the other, its port open (socat must
 * be installed: requireTool, and the simulator built: ensureBuilt). close() ends all of it.
 */
export class SimLine {
  private constructor(
    readonly pty: SocatPair,
    /** Replaced by startSim() after a test stopped it. */
    public sim: SimProcess,
    readonly d: Driver,
    private readonly profileId: string,
  ) {}

  static async open(profileId = "loa-amp-v1", opts: DriverOptions = {}): Promise<SimLine> {
    const pty = await SocatPair.create();
    const sim = await SimProcess.start(pty.b, profileId).catch(async (err: unknown) => {
      await pty.destroy();
      throw err;
    });
    const line = new SimLine(pty, sim, driver(pty.a, profileId, opts), profileId);
    await line.d.transport.open().catch(async (err: unknown) => {
      await line.close();
      throw err;
    });
    return line;
  }

  /** A new simulator on the same end of the line (after the test stopped it, or the line was pulled). */
  async startSim(): Promise<SimProcess> {
    this.sim = await SimProcess.start(this.pty.b, this.profileId);
    return this.sim;
  }

  async close(): Promise<void> {
    this.d.monitor.stop();
    this.d.master.dispose();
    await this.d.transport.close();
    await this.sim.stop();
    await this.pty.destroy();
  }
}

/** How many events of `type` with `code` were emitted. */
export const count = (events: AmpMonitorEvent[], type: AmpMonitorEvent["type"], code: string): number =>
  events.filter((e) => e.type === type && e.code === code).length;
