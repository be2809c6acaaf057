import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEVICE_TELEMETRY_MAX, FakeClock, examples, type TelemetryPayload } from "@loa/shared";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../adapters/store/open-store.js";
import { MemoryJournal } from "../testing/memory-store.js";
import type { Journal, JournalEntry } from "../ports/store.js";
import { TELEMETRY_RING_INITIAL, TelemetryHistory, TelemetryRing, type TelemetryPoint } from "./telemetry-history.js";

const log = pino({ level: "silent" });
const T0 = Date.UTC(2026, 0, 1, 8);

/** A telemetry payload whose amplifier reports `volume` and `tempC`. */
function sample(volume: number, tempC = 40.5): TelemetryPayload {
  const t = structuredClone(examples.telemetry);
  return { ...t, amp: { ...t.amp, volume, temperatureC: tempC } };
}

const point = (at: number, volume: number): TelemetryPoint => ({ at, ampTempC: null, volume, cpuTempC: null, clockOffsetMs: null });

describe("TelemetryRing", () => {
  it("keeps the newest `capacity` samples, oldest first", () => {
    const ring = new TelemetryRing(3);
    for (let i = 1; i <= 5; i++) ring.push(point(T0 + i * 1000, i));
    expect(ring.length).toBe(3);
    expect(ring.points(0, 10).map((p) => p.volume)).toEqual([3, 4, 5]);
  });

  it("starts small and grows by doubling up to its capacity, keeping every sample in order", () => {
    const ring = new TelemetryRing(20);
    expect(ring.allocated).toBe(TELEMETRY_RING_INITIAL);
    ring.push(point(T0, 1));
    expect(ring.allocated).toBe(TELEMETRY_RING_INITIAL);
    for (let i = 2; i <= 9; i++) ring.push(point(T0 + i * 1000, i));
    expect(ring.allocated).toBe(16);
    expect(ring.points(0, 100).map((p) => p.volume)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (let i = 10; i <= 50; i++) ring.push(point(T0 + i * 1000, i));
    expect(ring.allocated).toBe(20);
    expect(ring.length).toBe(20);
    expect(ring.points(0, 100).map((p) => p.volume)).toEqual(Array.from({ length: 20 }, (_, k) => 31 + k));
    expect(new TelemetryRing(3).allocated).toBe(3);
  });

  it("answers the newest `limit` at or after `since`, still oldest first", () => {
    const ring = new TelemetryRing(10);
    for (let i = 1; i <= 6; i++) ring.push(point(T0 + i * 1000, i));
    expect(ring.points(T0 + 3000, 10).map((p) => p.volume)).toEqual([3, 4, 5, 6]);
    expect(ring.points(0, 2).map((p) => p.volume)).toEqual([5, 6]);
    expect(ring.points(T0 + 7000, 10)).toEqual([]);
  });

  it("gives back the decimals the device sent and null for what it did not report", () => {
    const ring = new TelemetryRing(2);
    ring.push({ at: T0, ampTempC: 45.3, volume: 70, cpuTempC: null, clockOffsetMs: -3.25 });
    expect(ring.points(0, 1)).toEqual([{ at: T0, ampTempC: 45.3, volume: 70, cpuTempC: null, clockOffsetMs: -3.25 }]);
  });
});

describe("TelemetryHistory", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  function history(journal: Journal, clock: FakeClock, more: Partial<ConstructorParameters<typeof TelemetryHistory>[0]> = {}): TelemetryHistory {
    return new TelemetryHistory({ journal, clock, log, ...more });
  }

  it("keeps live samples per device, bounded, and answers the last 6 hours by default", async () => {
    const clock = new FakeClock(T0);
    const h = history(new MemoryJournal(), clock, { capacity: 4 });
    for (let i = 0; i < 6; i++) h.onTelemetry("dev_a", sample(10 + i), T0 + i * 1000);
    h.onTelemetry("dev_b", sample(99), T0);
    expect(h.recent("dev_a").map((p) => p.volume)).toEqual([12, 13, 14, 15]);
    expect(h.recent("dev_a", { limit: 100 })).toHaveLength(4);
    expect(h.recent("dev_b")).toMatchObject([{ at: T0, volume: 99, ampTempC: 40.5, cpuTempC: 48.3, clockOffsetMs: -3 }]);
    expect(h.recent("dev_none")).toEqual([]);
    await clock.advance(6 * 3600_000 + 4000);
    expect(h.recent("dev_a").map((p) => p.volume)).toEqual([14, 15]);
  });

  it("journals at most one sample per device per journalEveryMs, and none of unknown devices", () => {
    const journal = new MemoryJournal();
    const h = history(journal, new FakeClock(T0), { journalEveryMs: 60_000, known: (id) => id !== "dev_gone" });
    for (let s = 0; s <= 150; s += 30) h.onTelemetry("dev_a", sample(s % 100), T0 + s * 1000);
    h.onTelemetry("dev_gone", sample(1), T0);
    expect(journal.entries.map((e) => e.ts)).toEqual([T0, T0 + 60_000, T0 + 120_000]);
    expect(journal.entries[0]).toEqual({ kind: "telemetry", ts: T0, deviceId: "dev_a", volume: 0, ampTempC: 40.5, cpuTempC: 48.3, clockOffsetMs: -3 });
    expect(h.recent("dev_gone")).toEqual([]);
    expect(h.recent("dev_a")).toHaveLength(6);
  });

  it("rebuilds from the journal after a restart: the last 6 hours of known devices, in order", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "loa-telemetry-"));
    dirs.push(dataDir);
    const clock = new FakeClock(T0);
    const first = await openStore({ dataDir, clock });
    const before = history(first.telemetry ?? first.journal, clock, { journalEveryMs: 0 });
    // 8 h of samples every 30 min; one of a device deleted since; another kind of entry in between.
    for (let m = 0; m <= 480; m += 30) before.onTelemetry("dev_a", sample(m / 30), T0 + m * 60_000);
    before.onTelemetry("dev_old", sample(5), T0 + 470 * 60_000);
    await (first.telemetry ?? first.journal).append({ kind: "audit", ts: T0 + 1, action: "x" });
    await first.close();

    const later = new FakeClock(T0 + 485 * 60_000);
    const second = await openStore({ dataDir, clock: later });
    const after = history(second.telemetry ?? second.journal, later, { known: (id) => id === "dev_a" });
    const loaded = await after.rebuild();
    await second.close();
    // Restarted at 8 h 5 min: the samples from 2 h 5 min on, i.e. 2 h 30 min … 8 h.
    expect(loaded).toBe(12);
    expect(after.recent("dev_a").map((p) => p.volume)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    expect(after.recent("dev_a")[0]).toMatchObject({ at: T0 + 150 * 60_000, ampTempC: 40.5, cpuTempC: 48.3, clockOffsetMs: -3 });
    expect(after.recent("dev_old")).toEqual([]);
    expect(after.devices).toBe(1);
  });

  it("puts live samples that arrive during the replay after the replayed ones", async () => {
    const clock = new FakeClock(T0 + 10_000);
    const journal = new MemoryJournal();
    journal.entries.push({ kind: "telemetry", ts: T0, deviceId: "dev_a", volume: 1 }, { kind: "telemetry", ts: T0 + 1000, deviceId: "dev_a", volume: 2 });
    const h = history(journal, clock);
    const replay = journal.replay.bind(journal);
    journal.replay = (onEntry: (e: JournalEntry) => void) => {
      // A live sample lands in the middle of the replay.
      h.onTelemetry("dev_a", sample(3));
      return replay(onEntry);
    };
    await h.rebuild();
    expect(h.recent("dev_a").map((p) => p.volume)).toEqual([1, 2, 3]);
  });

  it("caps a query's limit at its capacity and forgets a deleted device", () => {
    const h = history(new MemoryJournal(), new FakeClock(T0));
    for (let i = 0; i < DEVICE_TELEMETRY_MAX + 5; i++) h.onTelemetry("dev_a", sample(i % 100), T0 - 1000 + i);
    expect(h.recent("dev_a", { limit: 10_000 })).toHaveLength(DEVICE_TELEMETRY_MAX);
    h.forget("dev_a");
    expect(h.recent("dev_a")).toEqual([]);
  });
});
