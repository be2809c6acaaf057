import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import loaAmpJson from "./loa-amp-v1.json" with { type: "json" };
import { getProfile, listProfiles, loadProfile, parseProfile } from "./load.js";
import { ProfileError } from "./registers.js";

const clone = (): Record<string, unknown> => JSON.parse(JSON.stringify(loaAmpJson)) as Record<string, unknown>;

function errorsOf(json: unknown): string[] {
  const result = parseProfile(json);
  if (result.ok) throw new Error("expected the profile to be rejected");
  return result.errors;
}

describe("bundled profiles [ARCHITECTURE §5]", () => {
  it("loa-amp-v1 matches the register table", () => {
    const p = getProfile("loa-amp-v1");
    expect(p).toMatchObject({ id: "loa-amp-v1", unitId: 1, warmupMs: 1500 });
    expect(p.serial).toEqual({ baud: 9600, parity: "none", dataBits: 8, stopBits: 1 });
    const table = Object.fromEntries(Object.entries(p.registers).map(([n, r]) => [n, `${r.kind} ${r.address} ${r.access}`]));
    expect(table).toEqual({
      power: "holding 0 rw",
      volume: "holding 1 rw",
      mute: "holding 2 rw",
      source: "holding 3 rw",
      zones: "holding 4 rw",
      status: "input 16 r",
      temperature: "input 17 r",
      supplyVoltage: "input 18 r",
      outputCurrent: "input 19 r",
      firmwareVersion: "input 20 r",
    });
    expect(p.registers["volume"]).toMatchObject({ min: 0, max: 100 });
    expect(p.registers["source"]?.values).toEqual({ line: 0, fm: 1, aux: 2 });
    expect(p.registers["zones"]).toMatchObject({ min: 0, max: 15 });
    expect(p.registers["temperature"]?.scale).toBe(0.1);
    expect(p.registers["supplyVoltage"]?.scale).toBe(0.1);
    expect(p.registers["status"]?.bits).toEqual({
      powered: 0, signalPresent: 1, overTemperature: 2, outputShort: 3, speakerLineOpen: 4, mainsLost: 5, fanFault: 6,
    });
    expect(p.capabilities.sort()).toEqual(
      ["firmwareVersion", "mute", "outputCurrent", "power", "source", "status", "supplyVoltage", "temperature", "volume", "zones"],
    );
  });

  it("relay-board-v1 only switches power, through a coil", () => {
    const p = getProfile("relay-board-v1");
    expect(p.roles).toEqual({ power: "relay1" });
    expect(p.capabilities).toEqual(["power"]);
    expect(p.registers["relay1"]).toMatchObject({ kind: "coil", address: 0, access: "rw" });
    expect(p.description).toContain("function 05");
  });

  it("lists the bundled profiles and refuses an unknown id", async () => {
    expect(listProfiles().map((p) => p.id)).toEqual(["loa-amp-v1", "relay-board-v1"]);
    expect(() => getProfile("nope")).toThrow(/no bundled amplifier profile "nope" \(bundled: loa-amp-v1, relay-board-v1\)/);
    await expect(loadProfile("nope")).rejects.toMatchObject({ code: "profile_not_found" });
    expect((await loadProfile("relay-board-v1")).id).toBe("relay-board-v1");
  });
});

describe("loadProfile from a file", () => {
  let dir = "";
  beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), "loa-profiles-"))));
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("loads a custom model and fills defaults", async () => {
    const file = join(dir, "other-amp.json");
    const json = {
      id: "other-amp",
      name: "Other amp",
      registers: { gain: { kind: "holding", address: 40, access: "rw", min: 0, max: 31 } },
      roles: { volume: "gain" },
    };
    await writeFile(file, JSON.stringify(json));
    const p = await loadProfile(file);
    expect(p).toMatchObject({ id: "other-amp", unitId: 1, warmupMs: 1500, capabilities: ["volume"], faults: {} });
    expect(p.serial.baud).toBe(9600);
  });

  it("names the file and every bad key", async () => {
    const broken = join(dir, "broken.json");
    await writeFile(broken, "{ not json");
    await expect(loadProfile(broken)).rejects.toMatchObject({ code: "profile_invalid" });
    const bad = join(dir, "bad.json");
    const json = clone();
    json["warmupMs"] = -5;
    json["unitId"] = 300;
    await writeFile(bad, JSON.stringify(json));
    const err: unknown = await loadProfile(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProfileError);
    const message = (err as ProfileError).message;
    expect(message).toMatch(/bad\.json is not a valid amplifier profile/);
    expect(message).toMatch(/\n {2}warmupMs: /);
    expect(message).toMatch(/\n {2}unitId: /);
    await expect(loadProfile(join(dir, "missing.json"))).rejects.toMatchObject({ code: "profile_not_found" });
  });
});

describe("parseProfile rejects malformed profiles, naming the key", () => {
  const withRegister = (name: string, reg: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => {
    const json = clone();
    json["registers"] = { ...(json["registers"] as object), [name]: reg };
    return { ...json, ...extra };
  };

  it.each<[string, unknown, RegExp]>([
    ["a negative address", withRegister("volume", { kind: "holding", address: -1, access: "rw" }), /^registers\.volume\.address: /],
    ["a misspelt key", withRegister("volume", { kind: "holding", adress: 1, access: "rw" }), /registers\.volume.*adress/],
    ["an unknown kind", withRegister("x", { kind: "register", address: 30, access: "r" }), /^registers\.x\.kind: /],
    ["a writable input register", withRegister("x", { kind: "input", address: 30, access: "rw" }), /^registers\.x\.access: .*read-only/],
    ["a coil with a scale", withRegister("x", { kind: "coil", address: 0, access: "rw", scale: 2 }), /^registers\.x\.scale: /],
    ["two registers at one address", withRegister("x", { kind: "holding", address: 1, access: "r" }), /^registers\.x\.address: .*"volume"/],
    ["a bit index twice", withRegister("x", { kind: "input", address: 30, access: "r", bits: { a: 1, b: 1 } }), /^registers\.x\.bits\.b: /],
    ["min above max", withRegister("x", { kind: "holding", address: 30, access: "rw", min: 5, max: 1 }), /^registers\.x\.min: /],
    ["a role naming no register", { ...clone(), roles: { volume: "loudness" } }, /^roles\.volume: .*"loudness"/],
    ["an unknown role", { ...clone(), roles: { bass: "volume" } }, /^roles/],
    ["a control role on a read-only register", { ...clone(), roles: { power: "status" } }, /^roles\.power: .*writable/],
    ["volume on a coil", withRegister("x", { kind: "coil", address: 0, access: "rw" }, { roles: { volume: "x" } }), /^roles\.volume: .*16-bit/],
    ["a fault on a missing bit", { ...clone(), faults: { smoke: "smoke" } }, /^faults\.smoke: /],
    ["a fault code not in snake_case", { ...clone(), faults: { fanFault: "Fan Fault" } }, /^faults\.fanFault: /],
    ["a capability without its role", { ...clone(), roles: { power: "power" }, capabilities: ["volume"] }, /^capabilities\.0: /],
    ["odd serial settings", { ...clone(), serial: { baud: 9600, parity: "mark", dataBits: 8, stopBits: 1 } }, /^serial\.parity: /],
    ["no id", { ...clone(), id: undefined }, /^id: /],
  ])("rejects %s", (_name, json, message) => {
    const errors = errorsOf(json);
    expect(errors.some((e) => message.test(e)), errors.join("\n")).toBe(true);
  });

  it.each<[unknown]>([[null], ["loa-amp-v1"], [[]], [{ ...clone(), registers: "x" }], [{ ...clone(), roles: { power: 5 } }]])(
    "returns errors, never throws, for %j",
    (json) => {
      expect(errorsOf(json).length).toBeGreaterThan(0);
    },
  );

  it("reports every problem at once", () => {
    const json = withRegister("volume", { kind: "holding", address: 70000, access: "rw" }, { warmupMs: "soon", name: "" });
    const errors = errorsOf(json);
    expect(errors.map((e) => e.split(":")[0])).toEqual(expect.arrayContaining(["registers.volume.address", "warmupMs", "name"]));
  });

});
