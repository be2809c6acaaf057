/** The play index (ARCHITECTURE §2 Play): lookups, counts, order, and the never-backwards rule. */
import { describe, expect, it } from "vitest";
import { PlayIndex, canMove, type PlayRecord } from "./play-index.js";

const rec = (deviceId: string, atMs: number, status: PlayRecord["status"] = "planned", broadcastId = "b1"): PlayRecord => ({
  playId: `${broadcastId}:${atMs}`, broadcastId, deviceId, areaId: "V1", atMs, durationMs: 1000, status,
});

describe("PlayIndex", () => {
  it("keeps counts by status, lookups by device and broadcast, and the unfinished set in step with changes", () => {
    const idx = new PlayIndex();
    idx.set(rec("d1", 1));
    idx.set(rec("d2", 1));
    idx.set(rec("d1", 2, "planned", "b2"));
    idx.set({ ...rec("d1", 1), status: "finished" });
    expect(idx.size).toBe(3);
    expect(idx.countByStatus()).toEqual({ planned: 2, finished: 1 });
    expect(idx.unfinished().map((r) => r.playId).sort()).toEqual(["b1:1", "b2:2"]);
    expect(idx.ofBroadcast("b1").map((r) => r.deviceId).sort()).toEqual(["d1", "d2"]);
    idx.delete("d2", "b1:1");
    expect(idx.countByStatus()).toEqual({ planned: 1, finished: 1 });
    expect(idx.ofBroadcast("b1").map((r) => r.deviceId)).toEqual(["d1"]);
    expect(idx.delete("d2", "b1:1")).toBeUndefined();
  });

  it("selects newest first, then by device, then playId", () => {
    const idx = new PlayIndex();
    for (const r of [rec("d2", 5), rec("d1", 5), rec("d1", 9), rec("d3", 1)]) idx.set(r);
    expect(idx.select({}, () => true).map((r) => `${r.deviceId}@${r.atMs}`)).toEqual(["d1@9", "d1@5", "d2@5", "d3@1"]);
    expect(idx.select({ deviceId: "d1" }, (r) => r.atMs < 9).map((r) => r.atMs)).toEqual([5]);
  });

  it("moves forward only; an inferred outcome yields to the device's report of a start or an end", () => {
    expect(canMove(rec("d1", 1, "delivered"), "ready", true)).toBe(true);
    expect(canMove(rec("d1", 1, "ready"), "delivered", true)).toBe(false);
    expect(canMove(rec("d1", 1, "finished"), "failed", true)).toBe(false);
    const swept = { ...rec("d1", 1, "missed"), inferred: true };
    expect(canMove(swept, "started", true)).toBe(true);
    expect(canMove(swept, "finished", true)).toBe(true);
    expect(canMove(swept, "ready", true)).toBe(false);
    expect(canMove(swept, "failed", false)).toBe(false);
  });
});
