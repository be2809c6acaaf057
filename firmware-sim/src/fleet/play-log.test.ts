import { describe, expect, it } from "vitest";
import { PlayLog, type PlayRecord } from "./play-log.js";

const rec = (deviceId: string, n: number): PlayRecord => ({
  deviceId, playId: `brd_${n}:1000`, startedAt: new Date(n).toISOString(), startedAtMs: n, localStartedAtMs: n, status: "playing",
});

describe("PlayLog", () => {
  it("counts kept records per device, also after the oldest were dropped", () => {
    const log = new PlayLog(3);
    log.add(rec("dev_a", 1));
    log.add(rec("dev_a", 2));
    log.add(rec("dev_b", 3));
    expect([log.countOf("dev_a"), log.countOf("dev_b"), log.countOf("dev_c")]).toEqual([2, 1, 0]);
    log.add(rec("dev_b", 4));
    log.add(rec("dev_b", 5));
    expect(log.countOf("dev_a")).toBe(log.list({ deviceId: "dev_a" }).length);
    expect([log.countOf("dev_a"), log.countOf("dev_b")]).toEqual([0, 3]);
    expect(log.count).toBe(5);
  });
});
