import { describe, expect, it } from "vitest";
import { DEFAULT_CHUNK_SIZE, FakeClock, PlanPayload, playIdOf, type Broadcast } from "@loa/shared";
import { buildPlans, findConflicts, planPayload, planPlays, PlanVersioner, type PlanBuildInput } from "./index.js";
import { areaTree, broadcast, bulletin, devices, ISO, utc } from "./scheduling.fixture.js";

const NOW = utc(2026, 3, 2, 3); // 10:00 in Ho Chi Minh, Monday 2 March 2026
const created = "2026-03-01T00:00:00.000Z";

function input(broadcasts: Broadcast[], extra: Partial<PlanBuildInput> = {}): PlanBuildInput {
  return { broadcasts, bulletins: [bulletin("bul1", 10 * 60_000)], areas: areaTree(), devices: devices(), nowMs: NOW, ...extra };
}

const morning = broadcast(
  "morning",
  { cron: "0 30 6 * * 1-6", tz: "Asia/Ho_Chi_Minh" },
  { targets: { areaIds: ["c1"], deviceIds: ["d5"] }, createdAt: created, volume: 70 },
);

describe("buildPlans", () => {
  it("gives each targeted device its plays within the 48 h horizon, sorted, with deterministic playIds", () => {
    const plans = buildPlans(input([morning]));
    expect([...plans.keys()]).toEqual(["d1", "d2", "d3", "d4", "d5"]);
    const d1 = plans.get("d1") ?? [];
    // Tue 3 Mar and Wed 4 Mar 06:30 local; 4 Mar 23:30Z is past NOW + 48 h.
    expect(d1.map((i) => i.at)).toEqual(["2026-03-02T23:30:00.000Z", "2026-03-03T23:30:00.000Z"]);
    expect(d1[0]).toEqual({
      playId: playIdOf("morning", utc(2026, 3, 2, 23, 30)),
      at: "2026-03-02T23:30:00.000Z",
      priority: "normal",
      volume: 70,
      media: { sha256: "a".repeat(64), bytes: 100_000, chunkSize: DEFAULT_CHUNK_SIZE, durationMs: 600_000, codec: "opus" },
    });
    expect(plans.get("d5")).toHaveLength(2);
    // Every plan is a valid wire payload.
    for (const items of plans.values()) PlanPayload.parse({ version: 1, serverTime: ISO(NOW), items });
  });

  it("honours horizonH and chunkSize", () => {
    const plans = buildPlans(input([morning], { horizonH: 24, chunkSize: 16_384 }));
    expect(plans.get("d1")?.map((i) => i.at)).toEqual(["2026-03-02T23:30:00.000Z"]);
    expect(plans.get("d1")?.[0]?.media.chunkSize).toBe(16_384);
  });

  it("keeps a play in progress (started less than its length ago) and drops a finished one", () => {
    const at = broadcast("at", { at: ISO(NOW - 9 * 60_000) }, { targets: { areaIds: [], deviceIds: ["d5"] }, createdAt: created });
    expect(buildPlans(input([at])).get("d5")?.map((i) => i.playId)).toEqual([playIdOf("at", NOW - 9 * 60_000)]);
    expect(buildPlans(input([at], { nowMs: NOW + 60_000 })).get("d5")).toEqual([]);
  });

  it("includes only active broadcasts, and sorts mixed ones by time then priority", () => {
    const now = broadcast("urgent", { now: true }, { targets: { areaIds: ["p1"], deviceIds: [] }, priority: "emergency", createdAt: ISO(NOW) });
    const paused = broadcast("paused", { at: ISO(NOW + 3_600_000) }, { targets: { areaIds: ["p1"], deviceIds: [] }, status: "paused" });
    const same = broadcast("same", { at: ISO(NOW) }, { targets: { areaIds: ["p1"], deviceIds: [] }, createdAt: created });
    const d5 = buildPlans(input([same, paused, now, morning])).get("d5") ?? [];
    expect(d5.map((i) => [i.playId.split(":")[0], i.priority])).toEqual([
      ["urgent", "emergency"],
      ["same", "normal"],
      ["morning", "normal"],
      ["morning", "normal"],
    ]);
  });

  it("drops non-emergency plays in a receiver's quiet hours, keeps emergency ones", () => {
    const night = broadcast("night", { cron: "0 0 23 * * *", tz: "Asia/Ho_Chi_Minh" }, { targets: { areaIds: ["p1"], deviceIds: [] }, createdAt: created });
    const alarm = { ...night, id: "alarm", priority: "emergency" as const };
    const r = planPlays(input([night, alarm]));
    const ids = (d: string): string[] => (r.byDevice.get(d) ?? []).map((p) => p.broadcastId);
    expect(ids("d1")).toEqual(["alarm", "alarm"]); // under c1's 22:00–05:00
    expect(ids("d3")).toEqual(["alarm", "night", "alarm", "night"]); // v2 clears quiet hours
    expect(ids("d5")).toEqual(["alarm", "night", "alarm", "night"]);
    expect(r.quiet.filter((q) => q.deviceId === "d1")).toHaveLength(2);
    expect(r.quiet.every((q) => q.areaId === "c1")).toBe(true);
  });

  it("skips, with a reason, a broadcast whose bulletin is missing or whose cron is broken", () => {
    const lost = { ...morning, id: "lost", bulletinId: "gone" };
    const broken = broadcast("broken", { cron: "0 0 99 * * *", tz: "UTC" }, { targets: { areaIds: ["p1"], deviceIds: [] } });
    const r = planPlays(input([lost, broken, morning]));
    expect(r.skipped.map((s) => [s.broadcastId, s.code])).toEqual([
      ["lost", "bulletin_not_found"],
      ["broken", "invalid_cron"],
    ]);
    expect(r.byDevice.get("d1")).toHaveLength(2);
  });

  it("caps a plan at the protocol's item limit, keeping the earliest", () => {
    const every = broadcast("every", { cron: "*/30 * * * * *", tz: "UTC" }, { targets: { areaIds: [], deviceIds: ["d5"] }, createdAt: created });
    const r = planPlays(input([every], { bulletins: [bulletin("bul1", 1000)] }));
    const d5 = r.byDevice.get("d5") ?? [];
    expect(d5).toHaveLength(2000);
    expect(d5[0]?.atMs).toBe(NOW);
    expect(r.truncated).toEqual(["d5"]);
  });

  it("feeds findConflicts with what ordering needs", () => {
    const a = broadcast("a", { at: ISO(NOW + 60_000) }, { targets: { areaIds: ["v3"], deviceIds: [] }, createdAt: created, order: 2 });
    const b = broadcast("b", { at: ISO(NOW + 120_000) }, { targets: { areaIds: ["v3"], deviceIds: [] }, createdAt: created, order: 1 });
    const c = findConflicts(planPlays(input([a, b])).byDevice);
    expect(c).toEqual([expect.objectContaining({ deviceId: "d5", rule: "order", first: expect.objectContaining({ broadcastId: "b" }) })]);
  });
});

describe("cancel, versioner and horizon together", () => {
  it("a cancel republishes exactly the affected devices, with newer versions", () => {
    const clock = new FakeClock(NOW);
    const versioner = new PlanVersioner({ clock });
    const villageOnly = broadcast("v1only", { at: ISO(NOW + 3_600_000) }, { targets: { areaIds: ["v1"], deviceIds: [] }, createdAt: created });
    const first = versioner.diff(buildPlans(input([morning, villageOnly])));
    expect(first.map((u) => u.deviceId)).toEqual(["d1", "d2", "d3", "d4", "d5"]);

    const cancelled = { ...villageOnly, status: "cancelled" as const };
    const updates = versioner.diff(buildPlans(input([morning, cancelled], { nowMs: clock.now() })));
    expect(updates.map((u) => u.deviceId)).toEqual(["d1", "d2"]);
    for (const u of updates) {
      expect(u.items.map((i) => i.playId.split(":")[0])).toEqual(["morning", "morning"]);
      expect(u.version).toBeGreaterThan(first.find((f) => f.deviceId === u.deviceId)?.version ?? Infinity);
      PlanPayload.parse(planPayload(u, clock.now()));
    }
  });

  it("as the horizon rolls, the devices whose plan changed get a new plan", () => {
    const clock = new FakeClock(NOW);
    const versioner = new PlanVersioner({ clock });
    const onlyV3 = { ...morning, id: "v3", targets: { areaIds: ["v3"], deviceIds: [] } };
    versioner.diff(buildPlans(input([onlyV3])));
    expect(versioner.diff(buildPlans(input([onlyV3], { nowMs: NOW + 3_600_000 })))).toEqual([]);
    // A day later the Tuesday play is over and Thursday's enters the horizon.
    const later = versioner.diff(buildPlans(input([onlyV3], { nowMs: NOW + 24 * 3_600_000 })));
    expect(later.map((u) => [u.deviceId, u.items.map((i) => i.at)])).toEqual([
      ["d5", ["2026-03-03T23:30:00.000Z", "2026-03-04T23:30:00.000Z"]],
    ]);
  });
});
