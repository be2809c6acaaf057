import { describe, expect, it } from "vitest";
import { encodeRequest } from "../modbus/request.js";
import { getProfile } from "./load.js";
import {
  activeFaults,
  blockValues,
  percentToRaw,
  profileReadPlan,
  profileReadRequest,
  profileRegister,
  profileWriteRequest,
  rawToPercent,
  rawToValue,
  registerBits,
  roleRegister,
  valueToRaw,
} from "./registers.js";

const amp = getProfile("loa-amp-v1");
const relay = getProfile("relay-board-v1");
const reg = (name: string) => profileRegister(amp, name);

describe("profile registers → Modbus requests [ARCHITECTURE §5]", () => {
  it("writes controls with FC 06 from role data alone", () => {
    const volume = roleRegister(amp, "volume");
    if (!volume) throw new Error("loa-amp-v1 has a volume role");
    expect(encodeRequest(profileWriteRequest(amp, volume, 80)).toString("hex")).toBe(
      encodeRequest({ kind: "writeSingle", unitId: 1, address: 1, value: 80 }).toString("hex"),
    );
    expect(profileWriteRequest(amp, reg("source"), "fm")).toEqual({ kind: "writeSingle", unitId: 1, address: 3, value: 1 });
    expect(profileWriteRequest(amp, reg("power"), true)).toEqual({ kind: "writeSingle", unitId: 1, address: 0, value: 1 });
    expect(profileWriteRequest(amp, reg("mute"), false)).toEqual({ kind: "writeSingle", unitId: 1, address: 2, value: 0 });
    expect(profileWriteRequest(amp, reg("zones"), 0b1011)).toMatchObject({ address: 4, value: 11 });
  });

  it("refuses values outside the profile's limits and writes to read-only registers", () => {
    expect(() => profileWriteRequest(amp, reg("volume"), 101)).toThrow(/volume: 101 is outside 0..100/);
    expect(() => profileWriteRequest(amp, reg("zones"), 16)).toThrow(/outside/);
    expect(() => profileWriteRequest(amp, reg("source"), "dab")).toThrow(/known: line, fm, aux/);
    expect(() => profileWriteRequest(amp, reg("temperature"), 20)).toThrow(/read-only/);
  });

  it("switches a relay board's coil with FC 05", () => {
    const power = roleRegister(relay, "power");
    if (!power) throw new Error("relay-board-v1 has a power role");
    expect(roleRegister(relay, "volume")).toBeUndefined();
    expect(profileWriteRequest(relay, power, true)).toEqual({ kind: "writeCoil", unitId: 1, address: 0, value: true });
    expect(encodeRequest(profileWriteRequest(relay, power, "off")).subarray(0, 6).toString("hex")).toBe("010500000000");
    expect(() => profileWriteRequest(relay, power, 2)).toThrow(/coil/);
  });

  it("reads all readings of loa-amp-v1 in one FC 04 request and decodes them", () => {
    const names = ["status", "temperature", "supplyVoltage", "outputCurrent", "firmwareVersion"];
    const plan = profileReadPlan(amp, names);
    expect(plan.map((b) => [b.kind, b.address, b.quantity])).toEqual([["input", 16, 5]]);
    const block = plan[0];
    if (!block) throw new Error("one block");
    expect(profileReadRequest(amp, block)).toEqual({ kind: "readInput", unitId: 1, address: 16, quantity: 5 });
    const raw = blockValues(block, [0b0100101, 415, 241, 850, 0x0102]);
    expect(rawToValue(reg("temperature"), raw["temperature"] ?? 0)).toBe(41.5);
    expect(rawToValue(reg("supplyVoltage"), raw["supplyVoltage"] ?? 0)).toBe(24.1);
    expect(raw["firmwareVersion"]).toBe(258);
    expect(activeFaults(amp, raw["status"] ?? 0)).toEqual(["over_temperature", "mains_lost"]);
    expect(registerBits(reg("status"), raw["status"] ?? 0)).toMatchObject({ powered: true, signalPresent: false, fanFault: false });
    expect(activeFaults(relay, 0xffff)).toEqual([]);
  });

  it("splits reads by kind and distance", () => {
    const plan = profileReadPlan(amp, ["temperature", "power", "volume", "zones", "status"]);
    expect(plan.map((b) => [b.kind, b.address, b.quantity, b.registers.map((r) => r.name)])).toEqual([
      ["holding", 0, 5, ["power", "volume", "zones"]],
      ["input", 16, 2, ["status", "temperature"]],
    ]);
    expect(profileReadPlan(amp, ["power", "status"], 0).length).toBe(2);
  });

  it("scales, signs and maps volume percentages", () => {
    expect(rawToValue(reg("temperature"), 0xfff6)).toBe(-1);
    expect(valueToRaw(reg("temperature"), -1)).toBe(0xfff6);
    expect(valueToRaw(reg("supplyVoltage"), 24.1)).toBe(241);
    const gain = { kind: "holding" as const, address: 9, access: "rw" as const, min: 0, max: 31, name: "gain" };
    expect(percentToRaw(gain, 100)).toBe(31);
    expect(percentToRaw(gain, 50)).toBe(16);
    expect(rawToPercent(gain, 31)).toBe(100);
    expect(percentToRaw(reg("volume"), 80)).toBe(80);
  });
});
