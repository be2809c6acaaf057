/**
 * The amplifier driver against the firmware simulator over a real serial line (ARCHITECTURE §5): the driver
 * (SerialPortTransport + ModbusMaster + ModbusAmplifier + AmpMonitor) on one end of a socat PTY pair, and
 * `loa-sim amp` (compiled JS, a child process) on the other, steered through its 127.0.0.1 HTTP control.
 * Checks the register trace the simulator recorded, every injected fault, CRC noise, exceptions, and pulling
 * the line (killing socat) and plugging it back (restarting socat at the same link paths).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { FakeClock, SystemClock, getProfile } from "@loa/shared";
import { AmpEngine, ModbusSlave, createDuplexPair } from "@loa/firmware-sim";
import { ModbusAmplifier, ModbusMaster, SerialPortTransport, StreamTransport } from "../edge-agent/src/adapters/amp/index.js";
import { SocatPair } from "../edge-agent/src/adapters/amp/socat.fixture.js";
import { waitFor } from "../edge-agent/src/adapters/amp/transport-contract.fixture.js";
import { AmpMonitor, type AmpMonitorEvent } from "../edge-agent/src/core/amp-monitor.js";
import { AmpError } from "../edge-agent/src/ports/amplifier.js";
import { requireTool } from "./support/tools.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SIM_BIN = join(ROOT, "firmware-sim", "bin", "loa-sim.js");
const SIM_SRC = join(ROOT, "firmware-sim", "src");
const SIM_DIST = join(ROOT, "firmware-sim", "dist");
const WARMUP_MS = 300;
const log = pino({ level: "silent" });

/** The compiled simulator is missing or older than its sources: build it (shared and edge-agent come along). */
function ensureSimBuilt(): void {
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") && !/\.(test|fixture)\.ts$/.test(e.name) ? [join(dir, e.name)] : [],
    );
  const stale = sources(SIM_SRC).some((src) => {
    if (src.includes(`${SIM_SRC}/testing/`)) return false;
    const out = join(SIM_DIST, src.slice(SIM_SRC.length).replace(/\.ts$/, ".js"));
    return !existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs;
  });
  if (stale) execFileSync("npx", ["tsc", "-b", join(ROOT, "firmware-sim", "tsconfig.json")], { cwd: ROOT, stdio: "inherit", timeout: 120_000 });
}

interface TraceEntry {
  dir: "request" | "reply";
  fc: number;
  address?: number;
  values?: number[];
}

/** `loa-sim amp` on `port`, with its HTTP control on a free 127.0.0.1 port. */
class SimProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly control: string,
  ) {}

  static async start(port: string, profile = "loa-amp-v1"): Promise<SimProcess> {
    const args = [SIM_BIN, "amp", "--port", port, "--profile", profile, "--control-port", "0", "--no-stdin", "--warmup", String(WARMUP_MS), "--firmware", "1.2", "--log-level", "warn"];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    const sim = new SimProcess(child, "");
    try {
      await waitFor("loa-sim to print its control port", () => /control http:\/\/127\.0\.0\.1:\d+/.test(out) || child.exitCode !== null, 15_000);
    } catch (err) {
      await sim.stop();
      throw err;
    }
    const m = /control (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
    if (!m?.[1]) throw new Error(`loa-sim amp did not start: ${out}`);
    return new SimProcess(child, m[1]);
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

  /** Writes the simulator received (FC 06 → "addr=value", FC 05 → "coilN=0|1"), oldest first. */
  async writes(): Promise<string[]> {
    const trace = await this.get<TraceEntry[]>("/trace?limit=10000");
    return trace.flatMap((e) =>
      e.dir !== "request" ? [] : e.fc === 6 ? [`${e.address}=${e.values?.[0]}`] : e.fc === 5 ? [`coil${e.address}=${e.values?.[0]}`] : [],
    );
  }

  async registers(): Promise<Record<string, number>> {
    return (await this.get<{ registers: Record<string, number> }>("/state")).registers;
  }

  stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const force = setTimeout(() => child.kill("SIGKILL"), 3_000);
      child.once("exit", () => {
        clearTimeout(force);
        resolve();
      });
      child.kill("SIGTERM");
    });
  }
}

/** Driver stack on `path`. Retries 5: under injected CRC noise (20 % of replies) a request then fails 1 in 15 000. */
function driver(path: string, profileId = "loa-amp-v1") {
  const clock = new SystemClock();
  const transport = new SerialPortTransport({ path, clock, log, backoff: { initialMs: 100, maxMs: 500 } });
  const master = new ModbusMaster({ transport, clock, log, options: { timeoutMs: 300, retries: 5 } });
  const amp = new ModbusAmplifier({ client: master, profile: getProfile(profileId), clock, log, transport, options: { rampIntervalMs: 20 } });
  const events: AmpMonitorEvent[] = [];
  const monitor = new AmpMonitor({ amp, clock, log, emit: (e) => void events.push(e), options: { intervalMs: 100, unreachableAfter: 3 } });
  return { transport, master, amp, monitor, events };
}

const FAULTS = ["over_temperature", "output_short", "speaker_line_open", "mains_lost", "fan_fault"] as const;
const count = (events: AmpMonitorEvent[], type: AmpMonitorEvent["type"], code: string): number =>
  events.filter((e) => e.type === type && e.code === code).length;

describe.skipIf(!requireTool("socat"))("amplifier driver ⇄ loa-sim amp over a socat PTY [ARCHITECTURE §5]", () => {
  let pty: SocatPair | undefined;
  let sim: SimProcess | undefined;
  let d: ReturnType<typeof driver> | undefined;
  const the = () => {
    if (!pty || !sim || !d) throw new Error("set-up failed");
    return { pty, sim, ...d };
  };

  beforeAll(async () => {
    ensureSimBuilt();
    pty = await SocatPair.create();
    sim = await SimProcess.start(pty.b);
    d = driver(pty.a);
    await d.transport.open();
  }, 120_000);

  afterAll(async () => {
    d?.monitor.stop();
    d?.master.dispose();
    await d?.transport.close();
    await sim?.stop();
    await pty?.destroy();
  });

  it("powers on muted (mute written before power), ramps the volume, is ready after warm-up", async () => {
    const { sim, amp } = the();
    await amp.powerOn();
    await amp.setVolume(30);
    const writes = await sim.writes();
    // first the mute on connect, then powerOn: mute, power; then the ramp
    expect(writes).toEqual(["2=1", "2=1", "0=1", "1=5", "1=10", "1=15", "1=20", "1=25", "1=30"]);
    expect(await sim.registers()).toMatchObject({ power: 1, volume: 30, mute: 1 });
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS + 50));
    await amp.unmute();
    expect(await amp.readStatus()).toMatchObject({
      reachable: true, powered: true, ready: true, muted: false, volume: 30, faults: [], firmwareVersion: "1.2", source: "line",
    });
  });

  it("reports every injected fault once with its code, and its clearing once", async () => {
    const { sim, monitor, events } = the();
    monitor.start();
    await waitFor("a first poll", () => monitor.status !== undefined, 5_000);
    for (const code of FAULTS) {
      await sim.post("/fault", { name: code, on: true });
      await waitFor(`amp_fault ${code}`, () => count(events, "amp_fault", code) === 1, 5_000);
      await new Promise((resolve) => setTimeout(resolve, 350)); // a few more polls while it stays raised
      await sim.post("/fault", { name: code, on: false });
      await waitFor(`amp_recovered ${code}`, () => count(events, "amp_recovered", code) === 1, 5_000);
      expect(count(events, "amp_fault", code)).toBe(1);
    }
    const fault = events.find((e) => e.type === "amp_fault" && e.code === "over_temperature");
    expect(fault?.type === "amp_fault" ? fault.detail : "").toMatch(/over temperature reported by the amplifier \(temperature \d+(\.\d+)? °C/);
    expect(events.map((e) => `${e.type}:${e.code}`)).toEqual(FAULTS.flatMap((c) => [`amp_fault:${c}`, `amp_recovered:${c}`]));
    monitor.stop();
  });

  it("retries replies damaged by CRC noise without corrupting state", async () => {
    const { sim, amp, master } = the();
    const before = master.stats;
    await sim.post("/noise", { rate: 0.2, mode: "corrupt" });
    try {
      for (const v of [40, 25, 35]) {
        await amp.setVolume(v);
        const status = await amp.readStatus();
        expect(status.volume).toBe(v);
      }
    } finally {
      await sim.post("/noise", { rate: 0 });
    }
    const after = master.stats;
    expect(after.crcErrors + after.timeouts).toBeGreaterThan(before.crcErrors + before.timeouts);
    expect(after.retries).toBeGreaterThan(before.retries);
    expect(after.failures).toBe(before.failures);
    expect(await sim.registers()).toMatchObject({ power: 1, volume: 35, mute: 0 });
    await sim.post("/noise", { rate: 1, mode: "garbage" });
    try {
      expect((await amp.readStatus()).volume).toBe(35);
    } finally {
      await sim.post("/noise", { rate: 0 });
    }
  });

  it("surfaces exceptions 01, 02 and 03 as typed AmpErrors", async () => {
    const { master } = the();
    const refused = (p: Promise<unknown>): Promise<AmpError> => p.then(() => Promise.reject(new Error("expected a refusal")), (e: AmpError) => e);
    const e1 = await refused(master.request({ kind: "unknown", unitId: 1, functionCode: 0x41, data: Buffer.from([0, 0, 0, 0]) }));
    const e2 = await refused(master.request({ kind: "readHolding", unitId: 1, address: 90, quantity: 1 }));
    const e3 = await refused(master.request({ kind: "writeSingle", unitId: 1, address: 1, value: 150 }));
    for (const [e, code, name] of [[e1, 1, "illegal function"], [e2, 2, "illegal data address"], [e3, 3, "illegal data value"]] as const) {
      expect(e).toBeInstanceOf(AmpError);
      expect(e).toMatchObject({ code: "amp_exception", exceptionCode: code });
      expect(e.message).toContain(`exception 0${code} (${name})`);
    }
  });

  it("reports unreachable when the line is pulled, without crashing, and recovers when it is back", async () => {
    const t = the();
    t.events.length = 0;
    t.monitor.start();
    await waitFor("a poll", () => t.monitor.status?.reachable === true, 5_000);
    await t.sim.stop();
    await t.pty.stop(); // the line vanishes under the open port
    await waitFor("amp_fault unreachable", () => count(t.events, "amp_fault", "unreachable") === 1, 10_000);
    expect(t.transport.isOpen).toBe(false);
    expect(t.monitor.status).toMatchObject({ reachable: false, faults: ["unreachable"] });
    await expect(t.amp.setVolume(10)).rejects.toMatchObject({ code: "amp_unreachable" });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(count(t.events, "amp_fault", "unreachable")).toBe(1);
    await t.pty.start(); // same link paths
    sim = await SimProcess.start(t.pty.b);
    await waitFor("amp_recovered unreachable", () => count(t.events, "amp_recovered", "unreachable") === 1, 15_000);
    expect(t.transport.isOpen).toBe(true);
    // The reopened line is muted before anything else (ARCHITECTURE §5 safety).
    expect((await sim.writes())[0]).toBe("2=1");
    expect(t.monitor.status?.reachable).toBe(true);
    t.monitor.stop();
  });
});

describe.skipIf(!requireTool("socat"))("relay-board-v1 driver ⇄ loa-sim amp --profile relay-board-v1 over a socat PTY", () => {
  let pty: SocatPair | undefined;
  let sim: SimProcess | undefined;
  let d: ReturnType<typeof driver> | undefined;

  beforeAll(async () => {
    ensureSimBuilt();
    pty = await SocatPair.create();
    sim = await SimProcess.start(pty.b, "relay-board-v1");
    d = driver(pty.a, "relay-board-v1");
    await d.transport.open();
  }, 120_000);

  afterAll(async () => {
    d?.master.dispose();
    await d?.transport.close();
    await sim?.stop();
    await pty?.destroy();
  });

  it("switches the relay coil with FC 05 and reads it back with FC 01", async () => {
    if (!sim || !d) throw new Error("set-up failed");
    await d.amp.powerOn();
    await d.amp.setVolume(70); // no volume on a relay board: no-op
    expect(await sim.writes()).toEqual(["coil0=1"]);
    expect(await d.amp.readStatus()).toMatchObject({ powered: true, volume: null, muted: null, faults: [] });
    await d.amp.powerOff();
    expect(await sim.writes()).toEqual(["coil0=1", "coil0=0"]);
    expect((await d.amp.readStatus()).powered).toBe(false);
  });
});

/** The same stack in-process on a FakeClock: StreamTransport over the simulator's duplex pair, seeded noise. */
describe("amplifier driver ⇄ simulator engine in-process (createDuplexPair, FakeClock)", () => {
  async function inProcess() {
    const clock = new FakeClock();
    let seed = 42;
    const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const engine = new AmpEngine({ profile: getProfile("loa-amp-v1"), clock, random, firmwareVersion: { major: 1, minor: 2 } });
    const [near, far] = createDuplexPair({ chunkBytes: 3 });
    const slave = new ModbusSlave({ engine, stream: far, clock });
    const transport = new StreamTransport({ connect: () => near, clock, log, name: "duplex-pair" });
    await transport.open();
    const master = new ModbusMaster({ transport, clock, log });
    const amp = new ModbusAmplifier({ client: master, profile: getProfile("loa-amp-v1"), clock, log, transport });
    /** Run `op` to completion, letting bytes flow and fake time pass in 5 ms steps. */
    const complete = async <T>(op: Promise<T>): Promise<T> => {
      let done = false;
      const tracked = op.finally(() => (done = true));
      for (let i = 0; i < 2_000 && !done; i++) {
        for (let j = 0; j < 6; j++) await new Promise<void>((resolve) => setImmediate(resolve));
        if (!done) await clock.advance(5);
      }
      return tracked;
    };
    return { clock, engine, slave, master, amp, complete };
  }

  it("reads ready from the simulator's status bit once it warmed up (1500 ms)", async () => {
    const t = await inProcess();
    await t.complete(t.amp.powerOn());
    expect(await t.complete(t.amp.readStatus())).toMatchObject({ powered: true, ready: false, muted: true, firmwareVersion: "1.2" });
    await t.clock.advance(1_500);
    expect(await t.complete(t.amp.readStatus())).toMatchObject({ powered: true, ready: true });
    t.slave.close();
  });

  it("gets through replies split in 3-byte chunks and 40 % corrupted ones with the default 2 retries", async () => {
    const t = await inProcess();
    t.engine.setNoise({ rate: 0.4, mode: "corrupt" });
    for (const v of [20, 45, 30]) {
      await t.complete(t.amp.setVolume(v));
      expect((await t.complete(t.amp.readStatus())).volume).toBe(v);
    }
    expect(t.master.stats.crcErrors).toBeGreaterThan(0);
    expect(t.master.stats.failures).toBe(0);
    t.engine.setNoise({ rate: 0 });
    expect(t.engine.state().registers).toMatchObject({ volume: 30, mute: 1 });
    t.slave.close();
  });
});
