import { describe, expect, it } from "vitest";
import type { Broadcast } from "@loa/shared";
import { planPlays, prunePlans, rollNeedsRebuild, type PlanBuildInput } from "./index.js";
import { areaTree, broadcast, bulletin, devices, ISO, utc } from "./scheduling.fixture.js";

const NOW = utc(2026, 3, 2, 3);
const MIN = 60_000;
const all = { areaIds: ["p1"], deviceIds: [] };

function input(broadcasts: Broadcast[], nowMs: number): PlanBuildInput {
  return { broadcasts, bulletins: [bulletin("bul1", MIN)], areas: areaTree(), devices: devices(), nowMs, horizonH: 1 };
}

describe("rollNeedsRebuild", () => {
  const built = { truncated: [], capped: [] };

  it("is false while no occurrence enters the horizon, true once one does", () => {
    const hourly = broadcast("h", { cron: "0 30 * * * *", tz: "UTC" }, { targets: all });
    // Horizon end moves 04:00 → 04:29: no :30 yet.
    expect(rollNeedsRebuild(input([hourly], NOW + 29 * MIN), NOW, built)).toBe(false);
    // 04:29 → 04:31: 04:30 enters.
    expect(rollNeedsRebuild(input([hourly], NOW + 31 * MIN), NOW + 29 * MIN, built)).toBe(true);
    // An `at` entering; a paused one does not count.
    const at = broadcast("a", { at: ISO(NOW + 70 * MIN) }, { targets: all });
    expect(rollNeedsRebuild(input([at], NOW + 11 * MIN), NOW + 9 * MIN, built)).toBe(true);
    expect(rollNeedsRebuild(input([{ ...at, status: "paused" }], NOW + 11 * MIN), NOW + 9 * MIN, built)).toBe(false);
  });

  it("is true when time went back, a plan was capped, or a `now` play stamped ahead of the clock moves", () => {
    expect(rollNeedsRebuild(input([], NOW - 1), NOW, built)).toBe(true);
    expect(rollNeedsRebuild(input([], NOW + MIN), NOW, { truncated: ["d1"], capped: [] })).toBe(true);
    expect(rollNeedsRebuild(input([], NOW + MIN), NOW, { truncated: [], capped: ["b"] })).toBe(true);
    const ahead = broadcast("n", { now: true }, { targets: all, createdAt: ISO(NOW + 5000) });
    expect(rollNeedsRebuild(input([ahead], NOW + MIN), NOW, built)).toBe(true);
    const past = broadcast("n", { now: true }, { targets: all, createdAt: ISO(NOW - 5000) });
    expect(rollNeedsRebuild(input([past], NOW + MIN), NOW, built)).toBe(false);
  });

  it("ignores a broken cron (the build skipped it and still does)", () => {
    const broken = broadcast("x", { cron: "0 0 99 * * *", tz: "UTC" }, { targets: all });
    expect(rollNeedsRebuild(input([broken], NOW + MIN), NOW, built)).toBe(false);
  });
});

describe("prunePlans", () => {
  it("equals a full build when nothing entered, and keeps unchanged plans' arrays", () => {
    const a = broadcast("a", { at: ISO(NOW + 2 * MIN) }, { targets: { areaIds: ["v1"], deviceIds: [] } });
    const b = broadcast("b", { at: ISO(NOW + 40 * MIN) }, { targets: all });
    const first = planPlays(input([a, b], NOW));
    const later = NOW + 3 * MIN; // a (60 s) ended at NOW + 3 min exactly
    expect(rollNeedsRebuild(input([a, b], later), NOW, first)).toBe(false);
    const { byDevice, changed } = prunePlans(first.byDevice, later);
    expect(changed).toEqual(["d1", "d2"]);
    expect(byDevice).toEqual(planPlays(input([a, b], later)).byDevice);
    expect(byDevice.get("d3")).toBe(first.byDevice.get("d3"));
    // One ms earlier `a` is still playing: nothing pruned.
    expect(prunePlans(first.byDevice, later - 1).changed).toEqual([]);
  });
});
