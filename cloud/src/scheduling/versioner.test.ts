import { describe, expect, it } from "vitest";
import { FakeClock, type PlanItem } from "@loa/shared";
import { fingerprintOf, planPayload, PlanVersioner } from "./index.js";
import { utc } from "./scheduling.fixture.js";

const NOW = utc(2026, 3, 2, 3);

function item(playId: string, at = "2026-03-02T23:30:00.000Z", extra: Partial<PlanItem> = {}): PlanItem {
  return {
    playId,
    at,
    priority: "normal",
    media: { sha256: "b".repeat(64), bytes: 5000, chunkSize: 65_536, durationMs: 3000, codec: "opus" },
    ...extra,
  };
}

const plans = (entries: Record<string, PlanItem[]>): Map<string, PlanItem[]> => new Map(Object.entries(entries));

describe("PlanVersioner", () => {
  it("first diff publishes every device; versions come from the clock", () => {
    const v = new PlanVersioner({ clock: new FakeClock(NOW) });
    const out = v.diff(plans({ d1: [item("b:1")], d2: [] }));
    expect(out).toEqual([
      { deviceId: "d1", version: NOW, items: [item("b:1")] },
      { deviceId: "d2", version: NOW, items: [] },
    ]);
  });

  it("bumps only the devices whose plan content changed", () => {
    const clock = new FakeClock(NOW);
    const v = new PlanVersioner({ clock });
    v.diff(plans({ d1: [item("b:1")], d2: [item("b:1")], d3: [] }));
    const out = v.diff(plans({ d1: [item("b:1")], d2: [item("b:1", undefined, { volume: 40 })], d3: [] }));
    expect(out.map((u) => [u.deviceId, u.version])).toEqual([["d2", NOW + 1]]);
    expect(v.versionOf("d1")).toBe(NOW);
    expect(v.diff(plans({ d1: [item("b:1")], d2: [item("b:1", undefined, { volume: 40 })] }))).toEqual([]);
  });

  it("uses fingerprints given by the caller (hashed in slices) and hashes the devices they lack; lists its devices", () => {
    const v = new PlanVersioner({ clock: new FakeClock(NOW) });
    v.diff(plans({ d1: [item("b:1")], d2: [item("b:1")] }));
    // d1's precomputed fingerprint is the published one's: unchanged; d2 is hashed here and changed.
    const out = v.diff(plans({ d1: [item("b:2")], d2: [item("b:2")] }), { fingerprints: new Map([["d1", fingerprintOf([item("b:1")])]]) });
    expect(out.map((u) => u.deviceId)).toEqual(["d2"]);
    expect(v.deviceIds()).toEqual(["d1", "d2"]);
    v.forget("d1");
    expect(v.deviceIds()).toEqual(["d2"]);
  });

  it("is monotonic per device: previous + 1 when the clock has not moved, the clock when it has", async () => {
    const clock = new FakeClock(NOW);
    const v = new PlanVersioner({ clock });
    v.diff(plans({ d1: [item("a:1")] }));
    expect(v.diff(plans({ d1: [item("a:2")] }))[0]?.version).toBe(NOW + 1);
    expect(v.diff(plans({ d1: [item("a:3")] }))[0]?.version).toBe(NOW + 2);
    await clock.advance(60_000);
    expect(v.diff(plans({ d1: [item("a:4")] }))[0]?.version).toBe(NOW + 60_000);
  });

  it("stays monotonic after a reload from state(), even with a clock behind", () => {
    const v = new PlanVersioner({ clock: new FakeClock(NOW) });
    v.diff(plans({ d1: [item("a:1")], d2: [item("a:1")] }));
    v.diff(plans({ d1: [item("a:2")], d2: [item("a:1")] }));
    const saved = JSON.parse(JSON.stringify(v.state())) as unknown;

    const behind = new PlanVersioner({ clock: new FakeClock(NOW - 3_600_000) });
    behind.load(saved);
    // Unchanged content after a restart: nothing to publish.
    expect(behind.diff(plans({ d1: [item("a:2")], d2: [item("a:1")] }))).toEqual([]);
    const out = behind.diff(plans({ d1: [item("a:3")], d2: [item("a:1")] }));
    expect(out.map((u) => [u.deviceId, u.version])).toEqual([["d1", NOW + 2]]);
  });

  it("the state can be passed to the constructor and refuses garbage", () => {
    const v = new PlanVersioner({ clock: new FakeClock(NOW), state: { devices: { d1: { version: 7, fingerprint: "x" } } } });
    expect(v.versionOf("d1")).toBe(7);
    expect(() => v.load({ devices: { d1: { version: -1 } } })).toThrow(expect.objectContaining({ code: "invalid_state" }));
  });

  it("forDevice returns the last plan for a birth; force republishes it unchanged with the same version", () => {
    const v = new PlanVersioner({ clock: new FakeClock(NOW) });
    expect(v.forDevice("d1")).toBeUndefined();
    v.diff(plans({ d1: [item("a:1")], d2: [] }));
    expect(v.forDevice("d1")).toEqual({ deviceId: "d1", version: NOW, items: [item("a:1")] });
    const out = v.diff(plans({ d1: [item("a:1")], d2: [] }), { force: ["d2"] });
    expect(out).toEqual([{ deviceId: "d2", version: NOW, items: [] }]);
  });

  it("invalidate makes the next diff send the device again with a newer version", () => {
    const v = new PlanVersioner({ clock: new FakeClock(NOW) });
    v.diff(plans({ d1: [item("a:1")] }));
    v.invalidate("d1");
    expect(v.diff(plans({ d1: [item("a:1")] })).map((u) => u.version)).toEqual([NOW + 1]);
    v.forget("d1");
    expect(v.versionOf("d1")).toBeUndefined();
  });

  it("the published items are copies: later edits by the caller do not leak in", () => {
    const v = new PlanVersioner({ clock: new FakeClock(NOW) });
    const items = [item("a:1")];
    v.diff(plans({ d1: items }));
    (items[0] as PlanItem).at = "2030-01-01T00:00:00.000Z";
    expect(v.forDevice("d1")?.items[0]?.at).toBe("2026-03-02T23:30:00.000Z");
  });

  it("fingerprints depend on content and order; payload carries version and serverTime", () => {
    expect(fingerprintOf([item("a:1"), item("a:2")])).not.toBe(fingerprintOf([item("a:2"), item("a:1")]));
    expect(fingerprintOf([item("a:1")])).toBe(fingerprintOf([item("a:1")]));
    expect(planPayload({ deviceId: "d1", version: 9, items: [] }, NOW)).toEqual({
      version: 9,
      serverTime: "2026-03-02T03:00:00.000Z",
      items: [],
    });
  });
});
