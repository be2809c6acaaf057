// Modbus behaviour of the simulated amplifier (ARCHITECTURE §5): register map from the profile, exceptions
// 01/02/03, unit ids, broadcast, warm-up and the trace.
import { FakeClock, appendCrc, getProfile, parseProfile, type AmpProfile, type ModbusReply, type ModbusRequest } from "@loa/shared";
import { describe, expect, it } from "vitest";
import { AmpEngine } from "./amp-engine.js";
import type { TraceEntry } from "./trace.js";

const amp = getProfile("loa-amp-v1");
const relay = getProfile("relay-board-v1");

function setup(profile: AmpProfile = amp, extra: Partial<ConstructorParameters<typeof AmpEngine>[0]> = {}) {
  const clock = new FakeClock();
  const engine = new AmpEngine({ profile, clock, ...extra });
  const ask = (req: ModbusRequest): ModbusReply | undefined => engine.handle(req);
  const holding = (address: number, quantity: number) => ask({ kind: "readHolding", unitId: 1, address, quantity });
  const input = (address: number, quantity: number) => ask({ kind: "readInput", unitId: 1, address, quantity });
  const write = (address: number, value: number) => ask({ kind: "writeSingle", unitId: 1, address, value });
  return { clock, engine, ask, holding, input, write };
}

const exception = (functionCode: number, exceptionCode: number) => ({ kind: "exception", unitId: 1, functionCode, exceptionCode });

describe("AmpEngine registers (loa-amp-v1)", () => {
  it("starts off, unmuted at volume 0 with every speaker line on, firmware 1.0", () => {
    const { holding, input } = setup();
    expect(holding(0, 5)).toEqual({ kind: "readHolding", unitId: 1, values: [0, 0, 0, 0, 15] });
    expect(input(16, 5)).toEqual({ kind: "readInput", unitId: 1, values: [0, 300, 240, 0, 256] });
  });

  it("writes single and multiple holding registers and reads them back", () => {
    const { ask, holding, write } = setup();
    expect(write(1, 60)).toEqual({ kind: "writeSingle", unitId: 1, address: 1, value: 60 });
    expect(ask({ kind: "writeMultiple", unitId: 1, address: 2, values: [1, 2, 5] })).toEqual({
      kind: "writeMultiple",
      unitId: 1,
      address: 2,
      quantity: 3,
    });
    expect(holding(1, 4)).toEqual({ kind: "readHolding", unitId: 1, values: [60, 1, 2, 5] });
  });

  it("reports firmwareVersion as major*256+minor", () => {
    const { input } = setup(amp, { firmwareVersion: { major: 2, minor: 7 } });
    expect(input(20, 1)).toMatchObject({ values: [2 * 256 + 7] });
  });

  it("encodes a negative temperature as a signed word", () => {
    const { input } = setup(amp, { physics: { ambientC: -5 } });
    expect(input(17, 1)).toMatchObject({ values: [0x10000 - 50] });
  });
});

describe("AmpEngine exceptions", () => {
  it("answers 01 to a function it does not implement", () => {
    const { ask } = setup();
    expect(ask({ kind: "unknown", unitId: 1, functionCode: 0x11, data: Buffer.alloc(0) })).toEqual(exception(0x11, 1));
    expect(ask({ kind: "unknown", unitId: 1, functionCode: 0x2b, data: Buffer.from([0x0e, 1, 0]) })).toEqual(exception(0x2b, 1));
  });

  it("answers 02 to reads outside the profile's addresses", () => {
    const { ask, holding, input } = setup();
    expect(holding(5, 1)).toEqual(exception(3, 2));
    expect(holding(0, 6)).toEqual(exception(3, 2));
    expect(input(15, 1)).toEqual(exception(4, 2));
    expect(input(16, 6)).toEqual(exception(4, 2));
    expect(input(0, 5)).toEqual(exception(4, 2));
    expect(ask({ kind: "readCoils", unitId: 1, address: 0, quantity: 1 })).toEqual(exception(1, 2));
  });

  it("answers 02 to writes of undefined addresses, including the input registers' addresses", () => {
    const { write, ask } = setup();
    expect(write(5, 1)).toEqual(exception(6, 2));
    expect(write(16, 1)).toEqual(exception(6, 2));
    expect(ask({ kind: "writeMultiple", unitId: 1, address: 3, values: [0, 1, 1] })).toEqual(exception(16, 2));
    expect(ask({ kind: "writeCoil", unitId: 1, address: 0, value: true })).toEqual(exception(5, 2));
  });

  it("answers 02 to a write of a read-only holding register", () => {
    const parsed = parseProfile({
      id: "ro-test",
      name: "read-only holding",
      registers: {
        power: { kind: "holding", address: 0, access: "rw", min: 0, max: 1 },
        serial: { kind: "holding", address: 1, access: "r" },
      },
      roles: { power: "power" },
    });
    if (!parsed.ok) throw new Error(parsed.errors.join("; "));
    const { write, holding } = setup(parsed.profile, { initialRegisters: { serial: 4242 } });
    expect(write(1, 7)).toEqual(exception(6, 2));
    expect(holding(0, 2)).toMatchObject({ values: [0, 4242] });
  });

  it("answers 03 to values outside a register's range and applies nothing of a refused block", () => {
    const { ask, write, holding } = setup();
    expect(write(0, 2)).toEqual(exception(6, 3));
    expect(write(1, 101)).toEqual(exception(6, 3));
    expect(write(3, 3)).toEqual(exception(6, 3));
    expect(write(4, 16)).toEqual(exception(6, 3));
    expect(ask({ kind: "writeMultiple", unitId: 1, address: 0, values: [1, 200] })).toEqual(exception(16, 3));
    expect(holding(0, 2)).toMatchObject({ values: [0, 0] });
  });

  it("answers 03 to a request the codec finds out of range (read quantity 0)", () => {
    const { engine } = setup();
    const out = engine.handleFrame(appendCrc(Buffer.from([1, 3, 0, 0, 0, 0])));
    expect(out?.bytes).toEqual(appendCrc(Buffer.from([1, 0x83, 3])));
  });
});

describe("AmpEngine unit ids", () => {
  it("ignores other unit ids, for reads and writes alike", () => {
    const { ask, holding, engine } = setup();
    expect(ask({ kind: "readHolding", unitId: 2, address: 0, quantity: 1 })).toBeUndefined();
    expect(ask({ kind: "writeSingle", unitId: 2, address: 1, value: 50 })).toBeUndefined();
    expect(holding(1, 1)).toMatchObject({ values: [0] });
    expect(engine.handleFrame(appendCrc(Buffer.from([9, 3, 0, 200, 0, 1])))).toBeUndefined();
  });

  it("applies broadcast writes without replying and ignores broadcast reads", () => {
    const { ask, holding } = setup();
    expect(ask({ kind: "writeSingle", unitId: 0, address: 1, value: 40 })).toBeUndefined();
    expect(ask({ kind: "readHolding", unitId: 0, address: 0, quantity: 1 })).toBeUndefined();
    expect(ask({ kind: "writeSingle", unitId: 0, address: 1, value: 400 })).toBeUndefined();
    expect(holding(1, 1)).toMatchObject({ values: [40] });
  });

  it("answers to the unit id it is given instead of the profile's", () => {
    const { ask } = setup(amp, { unitId: 7 });
    expect(ask({ kind: "readHolding", unitId: 1, address: 0, quantity: 1 })).toBeUndefined();
    expect(ask({ kind: "readHolding", unitId: 7, address: 0, quantity: 1 })).toEqual({ kind: "readHolding", unitId: 7, values: [0] });
  });
});

describe("AmpEngine warm-up", () => {
  it("sets status bit powered only warmupMs after power-on; the power register reads 1 at once", async () => {
    const { clock, write, holding, input, engine } = setup();
    write(0, 1);
    expect(holding(0, 1)).toMatchObject({ values: [1] });
    expect(engine.state()).toMatchObject({ switchedOn: true, ready: false, warmupRemainingMs: 1500 });
    await clock.advance(1499);
    expect(input(16, 1)).toMatchObject({ values: [0] });
    await clock.advance(1);
    expect(input(16, 1)).toMatchObject({ values: [1] });
    expect(engine.state()).toMatchObject({ ready: true, warmupRemainingMs: 0 });
  });

  it("restarts the warm-up after a power cycle, not after a repeated power-on", async () => {
    const { clock, write, input } = setup();
    write(0, 1);
    await clock.advance(1000);
    write(0, 1);
    await clock.advance(500);
    expect(input(16, 1)).toMatchObject({ values: [1] });
    write(0, 0);
    expect(input(16, 1)).toMatchObject({ values: [0] });
    write(0, 1);
    await clock.advance(1400);
    expect(input(16, 1)).toMatchObject({ values: [0] });
    await clock.advance(100);
    expect(input(16, 1)).toMatchObject({ values: [1] });
  });

  it("shows signal present only while warmed up and fed", async () => {
    const { clock, write, input, engine } = setup();
    engine.setSignal(true);
    expect(input(16, 1)).toMatchObject({ values: [0] });
    write(0, 1);
    await clock.advance(1500);
    expect(input(16, 1)).toMatchObject({ values: [0b11] });
    engine.setSignal(false);
    expect(input(16, 1)).toMatchObject({ values: [0b01] });
  });
});

describe("AmpEngine with relay-board-v1 (coils)", () => {
  it("switches relay 1 with function 05, reads it with 01, and refuses what the board lacks", async () => {
    const { ask, clock, engine } = setup(relay);
    expect(ask({ kind: "writeCoil", unitId: 1, address: 0, value: true })).toEqual({ kind: "writeCoil", unitId: 1, address: 0, value: true });
    expect(ask({ kind: "readCoils", unitId: 1, address: 0, quantity: 1 })).toEqual({ kind: "readCoils", unitId: 1, bits: [true] });
    expect(ask({ kind: "readCoils", unitId: 1, address: 0, quantity: 2 })).toEqual(exception(1, 2));
    expect(ask({ kind: "writeCoil", unitId: 1, address: 1, value: true })).toEqual(exception(5, 2));
    expect(ask({ kind: "readHolding", unitId: 1, address: 0, quantity: 1 })).toEqual(exception(3, 2));
    expect(ask({ kind: "writeSingle", unitId: 1, address: 0, value: 1 })).toEqual(exception(6, 2));
    expect(engine.state()).toMatchObject({ switchedOn: true, ready: false, registers: { relay1: 1 } });
    await clock.advance(3000);
    expect(engine.state().ready).toBe(true);
    engine.setFault("over_temperature", true);
    expect(engine.state().faults).toEqual(["over_temperature"]);
  });
});

describe("AmpEngine trace", () => {
  it("records every request and reply with time, function, address and values", async () => {
    const { engine, clock } = setup();
    const seen: TraceEntry[] = [];
    const stop = engine.onTrace((e) => seen.push(e));
    const t0 = clock.now();
    engine.handleFrame(appendCrc(Buffer.from([1, 4, 0, 16, 0, 2])));
    await clock.advance(10);
    engine.handleFrame(appendCrc(Buffer.from([1, 6, 0, 1, 0, 150])));
    engine.handleFrame(appendCrc(Buffer.from([3, 6, 0, 1, 0, 10])));
    stop();
    engine.handleFrame(appendCrc(Buffer.from([0, 6, 0, 1, 0, 10])));
    expect(seen).toEqual([
      { t: t0, dir: "request", unitId: 1, fc: 4, address: 16, quantity: 2 },
      { t: t0, dir: "reply", unitId: 1, fc: 4, address: 16, values: [0, 300] },
      { t: t0 + 10, dir: "request", unitId: 1, fc: 6, address: 1, values: [150] },
      { t: t0 + 10, dir: "reply", unitId: 1, fc: 6, address: 1, exception: 3 },
      { t: t0 + 10, dir: "request", unitId: 3, fc: 6, address: 1, values: [10], note: "other_unit" },
    ]);
    expect(engine.trace()).toHaveLength(6);
    expect(engine.trace()[5]).toMatchObject({ unitId: 0, note: "broadcast" });
    engine.clearTrace();
    expect(engine.trace()).toEqual([]);
  });

  it("keeps at most traceLimit entries", () => {
    const { engine } = setup(amp, { traceLimit: 3 });
    for (let i = 0; i < 4; i++) engine.handleFrame(appendCrc(Buffer.from([1, 3, 0, 1, 0, 1])));
    expect(engine.trace()).toHaveLength(3);
    expect(engine.trace()[0]).toMatchObject({ dir: "reply" });
  });
});
