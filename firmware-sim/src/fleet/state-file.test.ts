// The fleet's state file: round trip, atomic replacement, and loud refusal of a damaged file.
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FleetStateError, emptyState, loadState, parseState, receiversOf, saveState, type FleetReceiverRecord } from "./state-file.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "loa-fleet-state-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function rec(id: string, name: string): FleetReceiverRecord {
  return {
    deviceId: id, name, areaId: "v1", token: `tok-${id}`, provisionedAt: "2026-01-01T00:00:00.000Z",
    edgeConfig: { deviceId: id, token: `tok-${id}`, mqttUrl: "mqtt://127.0.0.1:1883", prefix: "loa/v1", profile: "loa-amp-v1", tz: "Asia/Ho_Chi_Minh" },
  };
}

describe("state file", () => {
  it("is empty when the file does not exist", async () => {
    expect(await loadState(join(dir, "none.json"), "http://c")).toEqual(emptyState("http://c"));
  });

  it("round-trips, leaves no temp file, and is private to the user (it holds tokens)", async () => {
    const path = join(dir, "fleet.json");
    const state = emptyState("http://cloud:8080");
    state.receivers["dev_b"] = rec("dev_b", "sim-002");
    state.receivers["dev_a"] = rec("dev_a", "sim-001");
    await saveState(path, state);
    const back = await loadState(path, "http://other");
    expect(back).toEqual(state);
    expect(receiversOf(back).map((r) => r.name)).toEqual(["sim-001", "sim-002"]);
    expect(await readdir(dir)).toEqual(["fleet.json"]);
    const { stat } = await import("node:fs/promises");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("replaces the whole file on every save", async () => {
    const path = join(dir, "fleet.json");
    const state = emptyState("http://c");
    state.receivers["dev_a"] = rec("dev_a", "sim-001");
    await saveState(path, state);
    delete state.receivers["dev_a"];
    await saveState(path, state);
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({ version: 1, cloud: "http://c", receivers: {} });
  });

  it.each([
    ["not JSON", "{", /is not JSON/],
    ["another version", JSON.stringify({ version: 2, cloud: "x", receivers: {} }), /expected \{"version": 1/],
    ["no receivers", JSON.stringify({ version: 1, cloud: "x" }), /expected "cloud" and "receivers"/],
    ["a receiver without token", JSON.stringify({ version: 1, cloud: "x", receivers: { dev_a: { ...rec("dev_a", "s"), token: "" } } }), /receivers\.dev_a\.token/],
    ["an id that disagrees", JSON.stringify({ version: 1, cloud: "x", receivers: { dev_b: rec("dev_a", "s") } }), /edgeConfig.deviceId is dev_a/],
    ["a bad edge config", JSON.stringify({ version: 1, cloud: "x", receivers: { dev_a: { ...rec("dev_a", "s"), edgeConfig: { deviceId: "dev_a" } } } }), /receivers\.dev_a\.edgeConfig/],
  ])("refuses %s instead of starting over (the tokens would be lost)", async (_what, text, message) => {
    const path = join(dir, "fleet.json");
    await writeFile(path, text);
    await expect(loadState(path, "x")).rejects.toThrow(FleetStateError);
    await expect(loadState(path, "x")).rejects.toThrow(message);
    expect(() => parseState(text, path)).toThrow(message);
  });
});
