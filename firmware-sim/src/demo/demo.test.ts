// The demo's pieces that need no cloud: settings, the data folder fallback, demo.json, the tone, the helpers.
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { soon } from "./broadcasts.js";
import { isPortFree, portOrAny } from "./cloud-child.js";
import { demoPassword, loadDemoFile, newDemoFile, saveDemoFile } from "./demo-file.js";
import { demoSettings, writableDataDir } from "./run-demo.js";
import { toneWav } from "./tone-wav.js";
import { startSkewMs } from "./watch.js";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "loa-demo-unit-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("demoSettings", () => {
  it("has the documented defaults", () => {
    expect(demoSettings({}, "/repo")).toEqual({
      dataDir: "/repo/data", host: "127.0.0.1", httpPort: 8080, mqttPort: 1883, wsPort: 9001, receivers: 8, leadS: 60, exitAfterConfirm: false,
    });
  });

  it("reads the environment", () => {
    const s = demoSettings({ LOA_DATA_DIR: "/x/d", LOA_HTTP_PORT: "0", LOA_MQTT_PORT: "1999", LOA_MQTT_WS_PORT: "off", DEMO_RECEIVERS: "3", DEMO_LEAD_S: "15", DEMO_EXIT_AFTER_CONFIRM: "1", LOA_HOST: "0.0.0.0" }, "/repo");
    expect(s).toEqual({ dataDir: "/x/d", host: "0.0.0.0", httpPort: 0, mqttPort: 1999, wsPort: "off", receivers: 3, leadS: 15, exitAfterConfirm: true });
  });

  it.each([
    [{ LOA_HTTP_PORT: "http" }, /LOA_HTTP_PORT must be a whole number/],
    [{ DEMO_RECEIVERS: "0" }, /DEMO_RECEIVERS must be a whole number from 1/],
    [{ DEMO_LEAD_S: "5" }, /DEMO_LEAD_S must be a whole number from 10/],
  ])("refuses %j", (env, message) => {
    expect(() => demoSettings(env, "/repo")).toThrow(message);
  });
});

describe("writableDataDir", () => {
  it("keeps a writable folder, creating it", async () => {
    const d = join(dir, "data");
    expect(await writableDataDir(d)).toEqual({ dir: d, fallback: false });
    expect((await stat(d)).isDirectory()).toBe(true);
  });

  it("falls back to a new temporary folder when it cannot write there", async () => {
    // A path below a plain file can never be created, whoever runs the test (root ignores modes).
    await writeFile(join(dir, "file"), "x");
    const got = await writableDataDir(join(dir, "file", "data"));
    expect(got.fallback).toBe(true);
    expect(got.dir.startsWith(join(tmpdir(), "loa-demo-"))).toBe(true);
    expect(got.reason).toMatch(/ENOTDIR|not a directory/i);
    await rm(got.dir, { recursive: true, force: true });
  });
});

describe("demo.json", () => {
  it("round-trips with mode 0600 and is absent before the first run", async () => {
    const path = join(dir, "demo.json");
    expect(await loadDemoFile(path)).toBeUndefined();
    const f = newDemoFile(new Date("2026-05-01T00:00:00Z"));
    f.users["canbo.x"] = { username: "canbo.x", password: "p", role: "staff", area: "Xã X" };
    await saveDemoFile(path, f);
    expect(await loadDemoFile(path)).toEqual(f);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("refuses a damaged file with a way out", async () => {
    const path = join(dir, "demo.json");
    await writeFile(path, "{");
    await expect(loadDemoFile(path)).rejects.toThrow(/not JSON: fix it, or remove the data folder/);
    await writeFile(path, JSON.stringify({ version: 9 }));
    await expect(loadDemoFile(path)).rejects.toThrow(/not a demo file/);
  });

  it("makes readable passwords the cloud accepts (8+ characters), different each time", () => {
    const a = demoPassword();
    expect(a).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    expect(demoPassword()).not.toBe(a);
  });
});

describe("helpers", () => {
  it("toneWav is a valid 16 kHz mono WAV of the asked length, not silent", () => {
    const wav = toneWav({ seconds: 2, freqHz: 440 });
    expect(wav.subarray(0, 4).toString("ascii")).toBe("RIFF");
    expect(wav.readUInt32LE(24)).toBe(16_000);
    expect(wav.readUInt32LE(40)).toBe(2 * 16_000 * 2);
    expect(wav.length).toBe(44 + 64_000);
    let peak = 0;
    for (let i = 44; i < wav.length; i += 2) peak = Math.max(peak, Math.abs(wav.readInt16LE(i)));
    expect(peak).toBeGreaterThan(10_000);
  });

  it("soon rounds up to a whole second", () => {
    expect(soon(1_000_200, 60_000).getTime()).toBe(1_061_000);
    expect(soon(1_000_000, 60_000).getTime()).toBe(1_060_000);
  });

  it("startSkewMs is the spread of start times", () => {
    expect(startSkewMs([])).toBe(0);
    expect(startSkewMs([1005, 1000, 1012])).toBe(12);
  });

  it("portOrAny keeps a free port and gives 0 for a busy one", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const busy = (server.address() as AddressInfo).port;
    expect(await isPortFree(busy, "127.0.0.1")).toBe(false);
    expect(await portOrAny(busy, "127.0.0.1")).toBe(0);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(await portOrAny(busy, "127.0.0.1")).toBe(busy);
    expect(await portOrAny(0, "127.0.0.1")).toBe(0);
  });
});

