/**
 * The amplifier driver against the firmware simulator over a real serial line (ARCHITECTURE §5): the driver
 * (SerialPortTransport + ModbusMaster + ModbusAmplifier + AmpMonitor) on one end of a socat PTY pair, and
 * `loa-sim amp` (compiled JS, a child process) on the other, steered through its 127.0.0.1 HTTP control.
 * Checks the register trace the simulator recorded, every injected fault, CRC noise, exceptions, and pulling
 * the line (killing socat) and plugging it back (restarting socat at the same link paths).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { FakeClock, getProfile } from "@loa/shared";
import { AmpEngine, ModbusSlave, createDuplexPair } from "@loa/firmware-sim";
import { ModbusAmplifier, ModbusMaster, StreamTransport } from "../edge-agent/src/adapters/amp/index.js";
import { waitFor } from "../edge-agent/src/adapters/amp/transport-contract.fixture.js";
import { AmpError } from "../edge-agent/src/ports/amplifier.js";
import { SimLine, WARMUP_MS, count } from "./support/amp-pty.js";
import { ensureBuilt } from "./support/processes.js";
import { requireTool } from "./support/tools.js";

const log = pino({ level: "silent" });

const FAULTS = ["over_temperature", "output_short", "speaker_line_open", "mains_lost", "fan_fault"] as const;

describe.skipIf(!requireTool("socat"))("amplifier driver ⇄ loa-sim amp over a socat PTY [ARCHITECTURE §5]", () => {
  let line: SimLine | undefined;
  const the = () => {
    if (!line) throw new Error("set-up failed");
    return { line, pty: line.pty, sim: line.sim, ...line.d };
  };

  beforeAll(() => ensureBuilt(), 320_000);

  beforeAll(async () => {
    line = await SimLine.open();
  }, 120_000);

  afterAll(() => line?.close());

  it("powers on muted (mute written before power), sets the volume while muted at once and ramps it once heard, is ready after warm-up", async () => {
    const { sim, amp } = the();
    await amp.powerOn();
    await amp.setVolume(20);
    // first the mute on connect, then powerOn: mute, power; then the volume in one write (muted: nothing is heard)
    expect(await sim.writes()).toEqual(["2=1", "2=1", "0=1", "1=20"]);
    expect(await sim.registers()).toMatchObject({ power: 1, volume: 20, mute: 1 });
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS + 50));
    await amp.unmute();
    await amp.setVolume(30);
    expect((await sim.writes()).slice(4)).toEqual(["2=0", "1=25", "1=30"]);
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
    const damaged = (): number => master.stats.crcErrors + master.stats.timeouts - (before.crcErrors + before.timeouts);
    try {
      // A volume change is only a write or two (one write while muted), so go on until the noise hit a reply
      // (at 20 % per reply, 40 rounds all clean would take luck of ~1e-8), then end on 35.
      for (let i = 0; i < 40 && damaged() === 0; i++) {
        const v = 20 + ((i * 7) % 30);
        await amp.setVolume(v);
        expect((await amp.readStatus()).volume).toBe(v);
      }
      await amp.setVolume(35);
      expect((await amp.readStatus()).volume).toBe(35);
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
    const sim = await t.line.startSim();
    await waitFor("amp_recovered unreachable", () => count(t.events, "amp_recovered", "unreachable") === 1, 15_000);
    expect(t.transport.isOpen).toBe(true);
    // The reopened line is muted before anything else (ARCHITECTURE §5 safety).
    expect((await sim.writes())[0]).toBe("2=1");
    expect(t.monitor.status?.reachable).toBe(true);
    t.monitor.stop();
  });
});

describe.skipIf(!requireTool("socat"))("relay-board-v1 driver ⇄ loa-sim amp --profile relay-board-v1 over a socat PTY", () => {
  let line: SimLine | undefined;

  beforeAll(() => ensureBuilt(), 320_000);

  beforeAll(async () => {
    line = await SimLine.open("relay-board-v1");
  }, 120_000);

  afterAll(() => line?.close());

  it("switches the relay coil with FC 05 and reads it back with FC 01", async () => {
    if (!line) throw new Error("set-up failed");
    const { sim, d } = line;
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
