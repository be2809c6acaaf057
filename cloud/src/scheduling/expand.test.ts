import { describe, expect, it } from "vitest";
import { CronError, expandBroadcast, InvalidTimeZoneError } from "./index.js";
import { broadcast, ISO, utc } from "./scheduling.fixture.js";

const created = "2026-03-01T00:00:00.000Z";
const win = { fromMs: utc(2026, 3, 1), toMs: utc(2026, 3, 8), nowMs: utc(2026, 3, 1, 0, 0, 5) };

describe("expandBroadcast", () => {
  it("now: the creation instant, once", () => {
    const b = broadcast("b1", { now: true }, { createdAt: created });
    expect(expandBroadcast(b, win)).toEqual([utc(2026, 3, 1)]);
    expect(expandBroadcast(b, { ...win, fromMs: utc(2026, 3, 2) })).toEqual([]);
  });

  it("now: a creation stamp ahead of the present is placed at the present", () => {
    const b = broadcast("b1", { now: true }, { createdAt: "2026-03-01T00:00:09.000Z" });
    expect(expandBroadcast(b, win)).toEqual([win.nowMs]);
  });

  it("at: that instant when it falls in the window", () => {
    const b = broadcast("b1", { at: "2026-03-03T07:00:00+07:00" }, { createdAt: created });
    expect(expandBroadcast(b, win).map(ISO)).toEqual(["2026-03-03T00:00:00.000Z"]);
    expect(expandBroadcast(b, { ...win, toMs: utc(2026, 3, 3) })).toEqual([]);
  });

  it("cron: occurrences within [max(from, window start), min(until, window end))", () => {
    const b = broadcast(
      "b1",
      { cron: "0 30 6 * * *", tz: "Asia/Ho_Chi_Minh", from: "2026-03-03T00:00:00Z", until: "2026-03-05T23:30:00Z" },
      { createdAt: created },
    );
    expect(expandBroadcast(b, win).map(ISO)).toEqual(["2026-03-03T23:30:00.000Z", "2026-03-04T23:30:00.000Z"]);
  });

  it("cron: never before the broadcast was created", () => {
    const b = broadcast("b1", { cron: "0 30 6 * * *", tz: "Asia/Ho_Chi_Minh" }, { createdAt: "2026-03-02T23:31:00.000Z" });
    expect(expandBroadcast(b, { ...win, toMs: utc(2026, 3, 4) }).map(ISO)).toEqual(["2026-03-03T23:30:00.000Z"]);
  });

  it.each(["paused", "cancelled", "done"] as const)("%s: none", (status) => {
    expect(expandBroadcast(broadcast("b1", { now: true }, { createdAt: created, status }), win)).toEqual([]);
    expect(expandBroadcast(broadcast("b1", { cron: "0 * * * *", tz: "UTC" }, { createdAt: created, status }), win)).toEqual([]);
  });

  it("a bad cron or zone throws the coded error", () => {
    expect(() => expandBroadcast(broadcast("b1", { cron: "0 0 99 * * *", tz: "UTC" }, { createdAt: created }), win)).toThrow(CronError);
    expect(() => expandBroadcast(broadcast("b1", { cron: "0 0 9 * * *", tz: "Nowhere/X" }, { createdAt: created }), win)).toThrow(
      InvalidTimeZoneError,
    );
  });
});
