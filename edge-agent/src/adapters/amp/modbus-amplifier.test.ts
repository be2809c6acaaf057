import { afterEach, describe, expect, it } from "vitest";
import { getProfile, parseProfile, type AmpProfile, type FakeClock } from "@loa/shared";
import { AmpError } from "../../ports/amplifier.js";
import { ModbusAmplifier, type ModbusAmplifierOptions } from "./modbus-amplifier.js";
import { ScriptedSlave } from "./scripted-slave.fixture.js";
import { makeRig, silentLog, type Rig } from "./test-rig.fixture.js";

const loaAmp = getProfile("loa-amp-v1");
const relay = getProfile("relay-board-v1");

let rig: Rig | undefined;
afterEach(async () => {
  rig?.master.dispose();
  await rig?.transport.close();
  rig = undefined;
});

async function setup(profile: AmpProfile = loaAmp, options: Partial<ModbusAmplifierOptions> = {}, slaveOf?: (c: FakeClock) => ScriptedSlave) {
  const r = await makeRig({}, slaveOf);
  rig = r;
  const amp = new ModbusAmplifier({ client: r.master, profile, clock: r.clock, log: silentLog, transport: r.transport, options });
  await r.run(5);
  r.slave.trace.length = 0; // forget the mute-on-connect (tested on its own)
  return { ...r, amp };
}

/** Run `op` to completion on the fake clock (at most `maxMs`), returning its error if it failed. */
async function complete(r: Rig, op: Promise<unknown>, maxMs = 5_000): Promise<unknown> {
  let done = false;
  let error: unknown;
  op.then(
    () => (done = true),
    (err: unknown) => ((done = true), (error = err)),
  );
  for (let t = 0; t < maxMs && !done; t += 5) await r.run(5);
  expect(done, "operation finished").toBe(true);
  return error;
}

const writesAt = (r: Rig, t0: number): string[] =>
  r.slave.trace.flatMap(({ t, req }) => (req.kind === "writeSingle" ? [`${t - t0}:${req.address}=${req.value}`] : []));

describe("ModbusAmplifier on loa-amp-v1 [ARCHITECTURE §5]", () => {
  it("mutes as soon as the line is open, and again whenever it reopens", async () => {
    const r = await makeRig();
    rig = r;
    r.slave.holding.set(2, 0);
    new ModbusAmplifier({ client: r.master, profile: loaAmp, clock: r.clock, log: silentLog, transport: r.transport });
    await r.run(5);
    expect(r.slave.writes()).toEqual(["2=1"]);
    r.slave.holding.set(2, 0);
    r.slaveEnd()?.destroy();
    await r.run(1_000, 20);
    expect(r.transport.isOpen).toBe(true);
    expect(r.slave.writes()).toEqual(["2=1", "2=1"]);
    expect(r.slave.holding.get(2)).toBe(1);
  });

  it("powers on muted: the mute write goes out before the power write", async () => {
    const r = await setup();
    r.slave.holding.set(2, 0);
    expect(await complete(r, r.amp.powerOn())).toBeUndefined();
    expect(r.slave.writes()).toEqual(["2=1", "0=1"]);
    expect([r.slave.holding.get(0), r.slave.holding.get(2)]).toEqual([1, 1]);
  });

  it("ramps the volume up from the current value in 5 % steps every 50 ms while it can be heard, never a jump", async () => {
    const r = await setup();
    r.slave.holding.set(2, 0); // unmuted: on air
    const t0 = r.clock.now();
    expect(await complete(r, r.amp.setVolume(70))).toBeUndefined();
    const steps = writesAt(r, t0);
    expect(steps).toEqual(Array.from({ length: 14 }, (_, i) => `${i * 50}:1=${(i + 1) * 5}`));
    // volume and mute in one read (adjacent registers)
    expect(r.slave.trace[0]?.req).toMatchObject({ kind: "readHolding", address: 1, quantity: 2 });
    expect(r.slave.holding.get(1)).toBe(70);
  });

  it("while muted (nothing is heard) sets the volume in one write, up or down", async () => {
    const r = await setup();
    expect(r.slave.holding.get(2)).toBe(1); // muted on connect
    const t0 = r.clock.now();
    expect(await complete(r, r.amp.setVolume(70))).toBeUndefined();
    expect(writesAt(r, t0)).toEqual(["0:1=70"]);
    r.slave.trace.length = 0;
    await complete(r, r.amp.setVolume(20));
    expect(r.slave.writes()).toEqual(["1=20"]);
    // The mute is read each time, not remembered: unmuted at the front panel, the next change ramps again.
    r.slave.holding.set(2, 0);
    r.slave.trace.length = 0;
    await complete(r, r.amp.setVolume(30));
    expect(r.slave.writes()).toEqual(["1=25", "1=30"]);
  });

  it("ramps from a value set elsewhere (front panel) and down as well as up", async () => {
    const r = await setup();
    r.slave.holding.set(2, 0);
    r.slave.holding.set(1, 33);
    await complete(r, r.amp.setVolume(50));
    expect(r.slave.writes()).toEqual(["1=38", "1=43", "1=48", "1=50"]);
    r.slave.trace.length = 0;
    await complete(r, r.amp.setVolume(38));
    expect(r.slave.writes()).toEqual(["1=45", "1=40", "1=38"]);
    r.slave.trace.length = 0;
    await complete(r, r.amp.setVolume(38));
    expect(r.slave.writes()).toEqual([]);
  });

  it("honours the ramp options", async () => {
    const r = await setup(loaAmp, { rampStepPercent: 10, rampIntervalMs: 100 });
    r.slave.holding.set(2, 0);
    const t0 = r.clock.now();
    await complete(r, r.amp.setVolume(30));
    expect(writesAt(r, t0)).toEqual(["0:1=10", "100:1=20", "200:1=30"]);
  });

  it("refuses a volume outside 0..100 without writing", async () => {
    const r = await setup();
    for (const bad of [150, -1, Number.NaN]) {
      const err = await complete(r, r.amp.setVolume(bad));
      expect(err).toBeInstanceOf(AmpError);
      expect(err).toMatchObject({ code: "amp_invalid_value" });
    }
    expect(r.slave.trace).toHaveLength(0);
  });

  it("powers off: ramp down, mute, power off", async () => {
    const r = await setup();
    [1, 30, 0].forEach((v, a) => r.slave.holding.set(a, v));
    expect(await complete(r, r.amp.powerOff())).toBeUndefined();
    expect(r.slave.writes()).toEqual(["1=25", "1=20", "1=15", "1=10", "1=5", "1=0", "2=1", "0=0"]);
  });

  it("still mutes and powers off when the ramp down fails, then reports that failure", async () => {
    const r = await setup();
    r.slave.holding.set(0, 1);
    r.slave.next({ kind: "exception", code: 4 });
    const err = await complete(r, r.amp.powerOff());
    expect(err).toMatchObject({ code: "amp_exception", exceptionCode: 4 });
    expect(r.slave.writes()).toEqual(["2=1", "0=0"]);
    expect(r.slave.holding.get(0)).toBe(0);
  });

  it("runs commands one after another: a power off never overtakes a ramp", async () => {
    const r = await setup();
    r.slave.holding.set(2, 0);
    const up = r.amp.setVolume(20);
    const off = r.amp.powerOff();
    await complete(r, Promise.all([up, off]));
    expect(r.slave.writes()).toEqual(["1=5", "1=10", "1=15", "1=20", "1=15", "1=10", "1=5", "1=0", "2=1", "0=0"]);
  });

  it("mutes and unmutes", async () => {
    const r = await setup();
    await complete(r, r.amp.unmute());
    expect(r.slave.holding.get(2)).toBe(0);
    await complete(r, r.amp.mute());
    expect(r.slave.writes()).toEqual(["2=0", "2=1"]);
  });

  it("selects the source by name or number and switches zones, refusing values the profile forbids", async () => {
    const r = await setup();
    await complete(r, r.amp.selectSource("fm"));
    await complete(r, r.amp.selectSource(2));
    await complete(r, r.amp.setZones(0b0101));
    expect(r.slave.writes()).toEqual(["3=1", "3=2", "4=5"]);
    for (const bad of [() => r.amp.selectSource("tape"), () => r.amp.selectSource(7), () => r.amp.setZones(16), () => r.amp.setZones(1.5)]) {
      expect(await complete(r, bad())).toMatchObject({ code: "amp_invalid_value" });
    }
    expect(r.slave.writes()).toHaveLength(3);
  });

  it("reads a typed status in two requests", async () => {
    const r = await setup();
    [1, 80, 0, 1, 0b0011].forEach((v, a) => r.slave.holding.set(a, v));
    // powered, signal present, over-temperature, fan fault; -1.0 °C; 24.1 V; 850 mA; firmware 1.2
    [0b1000111, 0xfff6, 241, 850, 0x0102].forEach((v, i) => r.slave.input.set(16 + i, v));
    let status;
    await complete(r, r.amp.readStatus().then((s) => (status = s)));
    expect(status).toEqual({
      reachable: true,
      powered: true,
      ready: true,
      muted: false,
      volume: 80,
      signalPresent: true,
      temperatureC: -1,
      supplyVoltageV: 24.1,
      outputCurrentMa: 850,
      faults: ["over_temperature", "fan_fault"],
      firmwareVersion: "1.2",
      source: "fm",
      zones: 3,
    });
    expect(r.slave.trace.map((x) => x.req.kind)).toEqual(["readHolding", "readInput"]);
  });

  it("is ready when the firmware raises the powered status bit (after its warm-up), not at switch-on", async () => {
    const r = await setup();
    await complete(r, r.amp.powerOn());
    const read = async () => {
      let status;
      await complete(r, r.amp.readStatus().then((s) => (status = s)));
      return status;
    };
    expect(await read()).toMatchObject({ powered: true, ready: false });
    r.slave.input.set(16, 0b1); // the firmware finished warming up
    expect(await read()).toMatchObject({ powered: true, ready: true });
    r.slave.holding.set(0, 0);
    r.slave.input.set(16, 0);
    expect(await read()).toMatchObject({ powered: false, ready: false });
  });

  it("surfaces a profile that does not match the amplifier as amp_exception 02", async () => {
    const json = JSON.parse(JSON.stringify(loaAmp)) as { registers: Record<string, { address: number }> };
    const reg = json.registers["firmwareVersion"];
    if (reg) reg.address = 90;
    const parsed = parseProfile(json);
    if (!parsed.ok) throw new Error(parsed.errors.join("; "));
    const r = await setup(parsed.profile);
    const err = await complete(r, r.amp.readStatus());
    expect(err).toMatchObject({ code: "amp_exception", exceptionCode: 2 });
    expect((err as Error).message).toContain("illegal data address");
  });
});

describe("ModbusAmplifier on relay-board-v1 (coils, FC 01/05)", () => {
  const relaySlave = (clock: FakeClock): ScriptedSlave => {
    const slave = new ScriptedSlave(clock);
    slave.coils.set(0, false);
    return slave;
  };

  it("switches the mains relay; volume, mute, source and zones are no-ops", async () => {
    const r = await setup(relay, {}, relaySlave);
    await complete(r, r.amp.powerOn());
    expect(r.slave.writes()).toEqual(["coil0=1"]);
    for (const op of [() => r.amp.setVolume(80), () => r.amp.mute(), () => r.amp.unmute(), () => r.amp.selectSource("fm"), () => r.amp.setZones(3)]) {
      expect(await complete(r, op())).toBeUndefined();
    }
    expect(r.slave.trace).toHaveLength(1);
    await complete(r, r.amp.powerOff());
    expect(r.slave.writes()).toEqual(["coil0=1", "coil0=0"]);
    expect(r.amp.warmupMs).toBe(3000);
  });

  it("reads power from the coil and null for what a relay board cannot tell", async () => {
    const r = await setup(relay, {}, relaySlave);
    r.slave.coils.set(0, true);
    let status;
    await complete(r, r.amp.readStatus().then((s) => (status = s)));
    expect(status).toEqual({
      reachable: true, powered: true, ready: false, muted: null, volume: null, signalPresent: null, temperatureC: null,
      supplyVoltageV: null, outputCurrentMa: null, faults: [], firmwareVersion: null, source: null, zones: null,
    });
    expect(r.slave.trace.map((x) => x.req)).toEqual([{ kind: "readCoils", unitId: 1, address: 0, quantity: 1 }]);
  });

  it("is ready warmupMs (3 s) after the relay switched on: it has no status register to tell", async () => {
    const r = await setup(relay, {}, relaySlave);
    await complete(r, r.amp.powerOn());
    const ready = async (): Promise<boolean | undefined> => {
      let value: boolean | undefined;
      await complete(r, r.amp.readStatus().then((s) => (value = s.ready)));
      return value;
    };
    expect(await ready()).toBe(false);
    await r.run(2_900, 100);
    expect(await ready()).toBe(false);
    await r.run(150, 50);
    expect(await ready()).toBe(true);
    await complete(r, r.amp.powerOff());
    await complete(r, r.amp.powerOn());
    expect(await ready()).toBe(false);
  });
});
