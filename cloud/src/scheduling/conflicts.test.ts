import { describe, expect, it } from "vitest";
import type { Priority } from "@loa/shared";
import { findConflicts, type PlannedPlay } from "./index.js";
import { utc } from "./scheduling.fixture.js";

const T = utc(2026, 3, 2, 1);
const MIN = 60_000;

function play(broadcastId: string, atMs: number, extra: Partial<PlannedPlay> = {}): PlannedPlay {
  return {
    playId: `${broadcastId}:${atMs}`,
    broadcastId,
    deviceId: "d1",
    atMs,
    durationMs: 5 * MIN,
    priority: "normal",
    createdAtMs: utc(2026, 3, 1),
    media: { sha256: "a".repeat(64), bytes: 1000, chunkSize: 65_536, durationMs: 5 * MIN, codec: "opus" },
    ...extra,
  };
}

function pair(a: PlannedPlay, b: PlannedPlay): { first: string; rule: string } {
  const c = findConflicts([a, b]);
  expect(c).toHaveLength(1);
  return { first: c[0]?.first.broadcastId ?? "", rule: c[0]?.rule ?? "" };
}

describe("findConflicts", () => {
  it("finds plays whose [at, at + duration) overlap on one device, with times and overlap", () => {
    const c = findConflicts(new Map([["d1", [play("a", T), play("b", T + 3 * MIN), play("c", T + 7 * MIN)]]]));
    expect(c).toHaveLength(2);
    expect(c[0]).toMatchObject({
      deviceId: "d1",
      first: { broadcastId: "a", at: "2026-03-02T01:00:00.000Z", endsAt: "2026-03-02T01:05:00.000Z" },
      second: { broadcastId: "b", at: "2026-03-02T01:03:00.000Z" },
      overlapMs: 2 * MIN,
    });
    expect(c[1]).toMatchObject({ first: { broadcastId: "b" }, second: { broadcastId: "c" }, overlapMs: MIN });
  });

  it("touching plays (one ends as the next starts) and plays on different devices do not conflict", () => {
    expect(findConflicts([play("a", T), play("b", T + 5 * MIN)])).toEqual([]);
    expect(findConflicts([play("a", T), play("b", T, { deviceId: "d2" })])).toEqual([]);
  });

  it("emergency goes first always, even when it starts later or was created later", () => {
    const e = play("e", T + MIN, { priority: "emergency", createdAtMs: utc(2026, 3, 2) });
    expect(pair(play("p", T, { priority: "priority", order: 0 }), e)).toEqual({ first: "e", rule: "emergency" });
  });

  it("priority before normal", () => {
    expect(pair(play("n", T, { order: 0 }), play("p", T + MIN, { priority: "priority" }))).toEqual({ first: "p", rule: "priority" });
  });

  it("same level: staff's order, lower first; an ordered one before an unordered one", () => {
    expect(pair(play("a", T, { order: 5 }), play("b", T + MIN, { order: 2 }))).toEqual({ first: "b", rule: "order" });
    expect(pair(play("a", T), play("b", T + MIN, { order: 9 }))).toEqual({ first: "b", rule: "order" });
  });

  it("same level, same order: the broadcast created first", () => {
    const older = play("old", T + MIN, { createdAtMs: utc(2026, 2, 1) });
    expect(pair(play("new", T), older)).toEqual({ first: "old", rule: "createdAt" });
  });

  it("everything equal: the earlier play (e.g. one broadcast overlapping itself)", () => {
    const p: Priority = "normal";
    expect(pair(play("a", T + MIN, { priority: p }), play("a", T, { priority: p }))).toMatchObject({ first: "a", rule: "tiebreak" });
    const c = findConflicts([play("a", T + MIN), play("a", T)]);
    expect(c[0]?.first.atMs).toBe(T);
  });

  it("an emergency over two normal plays collides with both", () => {
    const c = findConflicts([play("a", T), play("b", T + 6 * MIN), play("e", T + 2 * MIN, { priority: "emergency", durationMs: 10 * MIN })]);
    expect(c.map((x) => [x.first.broadcastId, x.second.broadcastId])).toEqual([
      ["e", "a"],
      ["e", "b"],
    ]);
  });
});
