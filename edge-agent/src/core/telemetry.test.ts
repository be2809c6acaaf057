import { describe, expect, it } from "vitest";
import pino from "pino";
import { EXAMPLE_PLAY_ID, EXAMPLE_SHA256, FakeClock, TelemetryPayload, parsePayload, type NowPlaying } from "@loa/shared";
import type { AmpStatus } from "../ports/amplifier.js";
import { MemoryLink } from "../testing/memory-link.js";
import { FakeHostMetrics } from "../testing/fake-host-metrics.js";
import { Telemetry, ampHealthOf, type TelemetrySources } from "./telemetry.js";

const log = pino({ level: "silent" });

const ampOk: AmpStatus = {
  reachable: true,
  powered: true,
  ready: true,
  muted: false,
  volume: 80,
  signalPresent: true,
  temperatureC: 41.5,
  supplyVoltageV: 24.1,
  outputCurrentMa: 850,
  faults: [],
  firmwareVersion: "1.2",
};

const playing: NowPlaying = { playId: EXAMPLE_PLAY_ID, sha256: EXAMPLE_SHA256, startedAt: "2026-01-01T06:00:00.012Z", positionMs: 30_000, durationMs: 74_500 };

function setup(over: Partial<TelemetrySources> = {}) {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 6, 0, 30));
  const link = new MemoryLink({ clock });
  const host = new FakeHostMetrics();
  const sources: TelemetrySources = {
    cacheBytes: () => 52_428_800,
    amp: () => ampOk,
    volume: () => 70,
    playing: () => playing,
    outboxDepth: () => 2,
    clockOffsetMs: () => -3,
    ...over,
  };
  const t = new Telemetry({ link, clock, log, host, dataDir: "/var/lib/loa", agentVersion: "0.1.0", startedAt: clock.now() - 5_237_400, intervalS: 30, sources });
  return { clock, link, host, t };
}

describe("Telemetry", () => {
  it("builds a sample the shared schema accepts, from every source", async () => {
    const { t, host, clock } = setup();
    const s = await t.build();
    expect(TelemetryPayload.safeParse(s).success).toBe(true);
    expect(s).toEqual({
      ts: clock.now(),
      agentVersion: "0.1.0",
      uptimeS: 5237,
      cpuTempC: 48.3,
      load1: 0.21,
      memFreeMb: 612,
      memTotalMb: 1024,
      diskFreeMb: 11_840,
      cacheBytes: 52_428_800,
      amp: { reachable: true, powered: true, muted: false, volume: 80, faults: [], signal: true, temperatureC: 41.5, supplyV: 24.1, outputMa: 850, firmware: "1.2" },
      clockOffsetMs: -3,
      playing,
      outboxDepth: 2,
    });
    expect(host.dirs).toEqual(["/var/lib/loa"]);
  });

  it("publishes every intervalS while online, QoS 0, and skips while offline", async () => {
    const { t, link, clock } = setup();
    await link.start();
    t.start();
    await clock.advance(90_000);
    const sent = link.sent.filter((m) => m.kind === "telemetry");
    expect(sent).toHaveLength(3);
    expect(sent.every((m) => m.qos === 0 && !m.retain)).toBe(true);
    for (const m of sent) expect(parsePayload("telemetry", m.bytes).ok).toBe(true);
    link.disconnect();
    await clock.advance(60_000);
    expect(link.sentOf("telemetry")).toHaveLength(3);
    link.reconnect();
    await clock.advance(30_000);
    expect(link.sentOf("telemetry")).toHaveLength(4);
    t.stop();
    await clock.advance(300_000);
    expect(link.sentOf("telemetry")).toHaveLength(4);
  });

  it("a failing source loses only its field; a failing host yields zeros, not a crash", async () => {
    const { t, host } = setup({
      cacheBytes: () => {
        throw new Error("cache not open");
      },
      amp: () => null,
      playing: () => null,
      clockOffsetMs: () => undefined,
    });
    host.failWith = new Error("no /proc");
    const s = await t.build();
    expect(s).toMatchObject({ cacheBytes: 0, amp: { reachable: false, faults: [] }, playing: null, memTotalMb: 0, outboxDepth: 2 });
    expect("clockOffsetMs" in s).toBe(false);
    expect("cpuTempC" in s).toBe(false);
  });

  it("an invalid sample (a source returning garbage) is not published", async () => {
    const { t, link } = setup({ playing: () => ({ startedAt: "yesterday" }) as NowPlaying });
    await link.start();
    await expect(t.build()).rejects.toMatchObject({ code: "invalid_payload" });
    expect(await t.publishNow()).toBe(false);
    expect(link.sentOf("telemetry")).toHaveLength(0);
  });
});

describe("ampHealthOf", () => {
  it("an unreachable amplifier reports only reachable and its faults (stale readings left out)", () => {
    expect(ampHealthOf({ ...ampOk, reachable: false, faults: ["unreachable"] })).toEqual({ reachable: false, faults: ["unreachable"] });
    expect(ampHealthOf(null)).toEqual({ reachable: false, faults: [] });
  });

  it("a relay board without registers: volume from the receiver, out-of-range readings and bad codes dropped", () => {
    const relay: AmpStatus = { ...ampOk, muted: null, volume: null, signalPresent: null, temperatureC: 900, supplyVoltageV: null, outputCurrentMa: -5, firmwareVersion: null, faults: ["mains_lost", "Bad Code", "mains_lost"] };
    expect(ampHealthOf(relay, 65)).toEqual({ reachable: true, powered: true, volume: 65, faults: ["mains_lost"] });
  });
});
