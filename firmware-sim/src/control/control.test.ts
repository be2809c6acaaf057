// The simulator's control interfaces: text commands (stdin) and the 127.0.0.1 HTTP routes.
import { FakeClock, encodeRequest, getProfile } from "@loa/shared";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { AmpEngine } from "../core/amp-engine.js";
import { SIM_FAULT_NAMES } from "../core/faults.js";
import { ControlError, parseCommandLine } from "./commands.js";
import { startHttpControl, type HttpControl } from "./http-control.js";
import { answer, startLineControl } from "./line-control.js";

function engine(): AmpEngine {
  return new AmpEngine({ profile: getProfile("loa-amp-v1"), clock: new FakeClock() });
}

describe("parseCommandLine", () => {
  it("parses every command", () => {
    expect(parseCommandLine("fault over_temperature on")).toEqual({ op: "fault", name: "over_temperature", on: true });
    expect(parseCommandLine("  fault no_response   off ")).toEqual({ op: "fault", name: "no_response", on: false });
    expect(parseCommandLine("slow 300")).toEqual({ op: "slow", ms: 300 });
    expect(parseCommandLine("noise 0.5")).toEqual({ op: "noise", rate: 0.5, mode: "corrupt" });
    expect(parseCommandLine("noise 1 garbage")).toEqual({ op: "noise", rate: 1, mode: "garbage" });
    expect(parseCommandLine("signal on")).toEqual({ op: "signal", level: 1 });
    expect(parseCommandLine("signal 0.25")).toEqual({ op: "signal", level: 0.25 });
    expect(parseCommandLine("trace")).toEqual({ op: "trace", limit: 20 });
    expect(parseCommandLine("trace 5")).toEqual({ op: "trace", limit: 5 });
    expect(parseCommandLine("set volume 40")).toEqual({ op: "set", register: "volume", raw: 40 });
    for (const op of ["status", "clear", "help"]) expect(parseCommandLine(op)).toEqual({ op });
  });

  it.each([
    ["fault overheat on", /unknown fault "overheat"/],
    ["fault over_temperature maybe", /expected on or off/],
    ["fault", /unknown fault ""/],
    ["slow -1", /MS must be a number from 0/],
    ["slow soon", /MS must be a number/],
    ["noise 2", /RATE must be a number from 0 to 1/],
    ["signal loud", /LEVEL must be/],
    ["status now", /at most 0/],
    ["launch", /unknown command "launch"/],
    ["set", /needs a register/],
  ])("refuses %j", (line, message) => {
    expect(() => parseCommandLine(line)).toThrow(ControlError);
    expect(() => parseCommandLine(line)).toThrow(message);
  });
});

describe("line control (stdin)", () => {
  it("answers each line, changes the engine, and calls onQuit on quit", async () => {
    const e = engine();
    const input = new PassThrough();
    const output = new PassThrough();
    let quit = false;
    const control = startLineControl(e, input, output, () => (quit = true));
    input.write("fault fan_fault on\n\n# a comment\nslow 250\nbogus\nquit\n");
    await new Promise((resolve) => setImmediate(resolve));
    const lines = String(output.read()).trim().split("\n");
    expect(lines).toEqual([
      "ok faults=[fan_fault] delay=0ms noise=0/corrupt signal=0",
      "ok faults=[fan_fault,slow_response] delay=250ms noise=0/corrupt signal=0",
      'error: unknown command "bogus"; try help',
    ]);
    expect(quit).toBe(true);
    control.close();
  });

  it("prints status as JSON, trace as JSON Lines, and help naming every fault", () => {
    const e = engine();
    expect(JSON.parse(answer(e, "status"))).toMatchObject({ profileId: "loa-amp-v1", faults: [] });
    expect(answer(e, "trace")).toBe("(trace is empty)");
    e.handleFrame(encodeRequest({ kind: "readHolding", unitId: 1, address: 0, quantity: 1 }));
    expect(answer(e, "trace 1")).toBe(JSON.stringify({ t: e.state().t, dir: "reply", unitId: 1, fc: 3, address: 0, values: [0] }));
    for (const name of SIM_FAULT_NAMES) expect(answer(e, "help")).toContain(name);
    expect(answer(e, "set nothing 1")).toBe('error: the profile has no register "nothing"');
  });
});

describe("HTTP control on 127.0.0.1", () => {
  let http: HttpControl | undefined;
  afterEach(async () => {
    await http?.close();
    http = undefined;
  });

  async function start(e: AmpEngine): Promise<(method: string, path: string, body?: unknown) => Promise<{ status: number; json: unknown }>> {
    http = await startHttpControl(e, 0);
    const base = `http://127.0.0.1:${http.port}`;
    return async (method, path, body) => {
      const res = await fetch(`${base}${path}`, {
        method,
        ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json" } }),
      });
      const text = await res.text();
      return { status: res.status, json: res.headers.get("content-type")?.startsWith("application/json") ? JSON.parse(text) : text };
    };
  }

  it("sets and clears faults, delay, noise, signal and registers, and shows state and trace", async () => {
    const e = engine();
    const call = await start(e);
    expect(http?.port).toBeGreaterThan(0);
    expect(await call("POST", "/fault", { name: "output_short", on: true })).toMatchObject({ status: 200, json: { faults: ["output_short"] } });
    expect(e.readRegister("status") & (1 << 3)).toBe(1 << 3);
    expect((await call("POST", "/slow", { ms: 120 })).json).toMatchObject({ responseDelayMs: 120 });
    expect((await call("POST", "/noise", { rate: 0.25, mode: "garbage" })).json).toMatchObject({ noise: { rate: 0.25, mode: "garbage" } });
    expect((await call("POST", "/signal", { level: 0.5 })).json).toMatchObject({ signalLevel: 0.5 });
    expect((await call("POST", "/signal", { on: false })).json).toMatchObject({ signalLevel: 0 });
    expect((await call("POST", "/register", { name: "volume", raw: 42 })).json).toMatchObject({ registers: { volume: 42 } });
    expect((await call("POST", "/command", { line: "fault mains_lost on" })).json).toMatchObject({ faults: ["output_short", "mains_lost", "slow_response", "crc_noise"] });
    expect((await call("POST", "/clear")).json).toMatchObject({ faults: [] });
    expect((await call("GET", "/state")).json).toMatchObject({ unitId: 1, registers: { volume: 42 } });
    e.handleFrame(encodeRequest({ kind: "readHolding", unitId: 1, address: 1, quantity: 1 }));
    expect((await call("GET", "/trace?limit=1")).json).toEqual([expect.objectContaining({ dir: "reply", values: [42] })]);
    expect((await call("GET", "/help")).json).toContain("fault NAME on|off");
  });

  it("answers 400 to bad bodies and 404 to unknown routes", async () => {
    const call = await start(engine());
    expect(await call("POST", "/fault", { name: "meltdown", on: true })).toMatchObject({ status: 400, json: { error: expect.stringMatching(/unknown fault/) } });
    expect(await call("POST", "/fault", { name: "fan_fault", on: "yes" })).toMatchObject({ status: 400 });
    expect(await call("POST", "/slow", { ms: "soon" })).toMatchObject({ status: 400 });
    expect(await call("POST", "/noise", { rate: 3 })).toMatchObject({ status: 400 });
    expect(await call("POST", "/fault", "{not json")).toMatchObject({ status: 400, json: { error: "body is not JSON" } });
    expect(await call("GET", "/nope")).toMatchObject({ status: 404 });
    expect(await call("DELETE", "/state")).toMatchObject({ status: 404 });
  });
});
