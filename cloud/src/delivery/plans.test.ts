/**
 * Plans per device (ARCHITECTURE §3 "Plan, not push-at-time"): built from the catalogue, published only to
 * the devices a change touches, versions monotonic across restarts, republished on birth, rolled with the
 * horizon. FakeClock and the in-memory bus; the jobs are called directly.
 */
import { describe, expect, it } from "vitest";
import { isoOf, type PlanPayload } from "@loa/shared";
import { PLAN_VERSIONS_META } from "./plan-service.js";
import { T0, broadcast, world } from "./delivery.fixture.js";

const HOUR = 3_600_000;
const ids = (plan: PlanPayload | undefined): string[] => plan?.items.map((i) => i.playId) ?? [];
const last = <T>(xs: readonly T[]): T | undefined => xs[xs.length - 1];

describe("plans", () => {
  it("publishes every device's plan at start, then only the devices a new broadcast touches", async () => {
    const w = await world();
    expect(w.bus.of("plan").map((p) => p.deviceId).sort()).toEqual(["d1", "d2", "d3", "d4"]);
    expect(w.bus.plansOf("d1")[0]?.items).toEqual([]);
    w.bus.clear();
    const at = T0 + 2 * HOUR;
    await w.catalog.update((d) => void d.broadcasts.push(broadcast("bc1", { at: isoOf(at) }, { targets: { areaIds: ["V1"], deviceIds: [] } })));
    await w.delivery.replan("test");
    expect(w.bus.of("plan").map((p) => p.deviceId).sort()).toEqual(["d1", "d2"]);
    const plan = last(w.bus.plansOf("d1"));
    expect(plan?.items).toEqual([{ playId: `bc1:${at}`, at: isoOf(at), priority: "normal", media: { sha256: w.sha, bytes: 200_000, chunkSize: 65_536, durationMs: 60_000, codec: "opus" } }]);
    expect(plan?.serverTime).toBe(isoOf(T0));
    // The plays are in the index as planned, one per device.
    expect(w.delivery.api.book.index.ofBroadcast("bc1").map((r) => [r.deviceId, r.status, r.areaId])).toEqual(
      expect.arrayContaining([["d1", "planned", "V1"], ["d2", "planned", "V1"]]),
    );
    // Nothing changed: nothing is published.
    w.bus.clear();
    await w.delivery.replan("again");
    expect(w.bus.of("plan")).toEqual([]);
  });

  it("cancel before the time removes the play from every affected plan and from the index", async () => {
    const at = T0 + HOUR;
    const w = await world({ broadcasts: [broadcast("bc1", { at: isoOf(at) })] });
    for (const id of ["d1", "d2", "d3"]) expect(ids(last(w.bus.plansOf(id)))).toEqual([`bc1:${at}`]);
    expect(ids(last(w.bus.plansOf("d4")))).toEqual([]);
    const changes: string[] = [];
    w.delivery.onChange((c) => changes.push(`${c.deviceId}:${c.removed ? "removed" : c.status}`));
    w.bus.clear();
    await w.catalog.update((d) => {
      const b = d.broadcasts.find((x) => x.id === "bc1");
      if (b) b.status = "cancelled";
    });
    await w.delivery.replan("cancel");
    expect(w.bus.of("plan").map((p) => p.deviceId).sort()).toEqual(["d1", "d2", "d3"]);
    for (const id of ["d1", "d2", "d3"]) expect(ids(last(w.bus.plansOf(id)))).toEqual([]);
    expect(w.delivery.api.book.index.ofBroadcast("bc1")).toEqual([]);
    expect(changes.sort()).toEqual(["d1:removed", "d2:removed", "d3:removed"]);
    expect(w.journal.entries.filter((e) => e.kind === "play" && e.op === "drop")).toHaveLength(3);
  });

  it("pause takes the play out, resume puts it back with a newer version", async () => {
    const at = T0 + HOUR;
    const w = await world({ broadcasts: [broadcast("bc1", { at: isoOf(at) }, { targets: { areaIds: [], deviceIds: ["d3"] } })] });
    const v1 = last(w.bus.plansOf("d3"))?.version ?? 0;
    const setStatus = async (status: "paused" | "active") => {
      await w.catalog.update((d) => {
        const b = d.broadcasts.find((x) => x.id === "bc1");
        if (b) b.status = status;
      });
      await w.clock.advance(1000);
      await w.delivery.replan(status);
    };
    await setStatus("paused");
    const paused = last(w.bus.plansOf("d3"));
    expect(ids(paused)).toEqual([]);
    await setStatus("active");
    const resumed = last(w.bus.plansOf("d3"));
    expect(ids(resumed)).toEqual([`bc1:${at}`]);
    expect(paused?.version).toBeGreaterThan(v1);
    expect(resumed?.version).toBeGreaterThan(paused?.version ?? Infinity);
    expect(w.delivery.api.book.index.get("d3", `bc1:${at}`)?.status).toBe("planned");
  });

  it("a device birth republishes its plan with the same version; others get nothing", async () => {
    const w = await world({ broadcasts: [broadcast("bc1", { at: isoOf(T0 + HOUR) })] });
    const before = last(w.bus.plansOf("d2"));
    w.bus.clear();
    w.presence.set("d2", true);
    await w.delivery.replan("settle");
    expect(w.bus.of("plan").map((p) => p.deviceId)).toEqual(["d2"]);
    expect(last(w.bus.plansOf("d2"))).toEqual(before);
  });

  it("a birth after an unannounced catalogue change gets the rebuilt plan, not the last one", async () => {
    const w = await world({ broadcasts: [broadcast("bc1", { at: isoOf(T0 + HOUR) })] });
    const before = last(w.bus.plansOf("d2"));
    w.bus.clear();
    await w.catalog.update((d) => void d.broadcasts.push(broadcast("bc2", { at: isoOf(T0 + 2 * HOUR) })));
    w.presence.set("d2", true);
    await w.delivery.replan("settle");
    const plans = w.bus.plansOf("d2");
    expect(plans.map(ids)).toEqual([[`bc1:${T0 + HOUR}`, `bc2:${T0 + 2 * HOUR}`]]);
    expect(plans[0]?.version).toBeGreaterThan(before?.version ?? Infinity);
  });

  it("keeps versions in the catalogue meta: after a restart nothing unchanged is resent and a change gets a higher version", async () => {
    const w = await world({ broadcasts: [broadcast("bc1", { at: isoOf(T0 + HOUR) })] });
    const v1 = last(w.bus.plansOf("d1"))?.version ?? 0;
    expect(w.catalog.data().meta[PLAN_VERSIONS_META]).toMatchObject({ devices: { d1: { version: v1 } } });
    // Same catalogue and journal, the clock has not moved: nothing changed, so nothing is republished...
    w.bus.clear();
    const again = await w.restart();
    expect(w.bus.of("plan")).toEqual([]);
    // ...and a change gets a version above the saved one (the clock alone would give the same number again).
    await w.catalog.update((d) => void d.broadcasts.push(broadcast("bc2", { at: isoOf(T0 + 3 * HOUR) })));
    await again.replan("more");
    expect(last(w.bus.plansOf("d1"))?.version).toBeGreaterThan(v1);
    await again.close();
  });

  it("a recurring 0 30 6 * * 1-6 in Asia/Ho_Chi_Minh plays at 06:30 local (23:30 UTC the day before) Monday to Saturday, never Sunday", async () => {
    // T0 is Monday 2026-03-02 15:00 in Hanoi.
    const w = await world({ broadcasts: [broadcast("daily", { cron: "0 30 6 * * 1-6", tz: "Asia/Ho_Chi_Minh" }, { targets: { areaIds: [], deviceIds: ["d1"] } })] });
    const end = T0 + 7 * 24 * HOUR;
    while (w.clock.now() < end) {
      await w.clock.advance(HOUR);
      await w.delivery.jobs.roll();
    }
    const plans = w.bus.plansOf("d1");
    const seen = new Set(plans.flatMap((p) => p.items.map((i) => i.at)));
    const inWeek = [...seen].filter((at) => Date.parse(at) < end).sort();
    expect(inWeek).toEqual([
      "2026-03-02T23:30:00.000Z", // Tue 03-03 06:30
      "2026-03-03T23:30:00.000Z", // Wed
      "2026-03-04T23:30:00.000Z", // Thu
      "2026-03-05T23:30:00.000Z", // Fri
      "2026-03-06T23:30:00.000Z", // Sat 03-07 06:30 (Sunday 03-08 skipped)
      "2026-03-08T23:30:00.000Z", // Mon 03-09
    ]);
    // Rolling republished only when the content changed (a play entering or leaving), not every hour.
    expect(plans.length).toBeGreaterThan(6);
    expect(plans.length).toBeLessThan(20);
    expect(plans.every((p, i) => i === 0 || p.version > (plans[i - 1]?.version ?? 0))).toBe(true);
  });

  it("the roll marks an `at` broadcast done once its play is over", async () => {
    const w = await world({ broadcasts: [broadcast("bc1", { at: isoOf(T0 + HOUR) })] });
    await w.clock.advance(HOUR + 60_000 + 6 * 60_000);
    await w.delivery.jobs.roll();
    expect(w.catalog.data().broadcasts[0]?.status).toBe("done");
  });

  it("quiet hours changed after scheduling: the play leaves the plans of the devices now in quiet hours", async () => {
    // 16:00 UTC = 23:00 in Hanoi: inside C's 22:00–05:00, but scheduled before the rule (emergency-free).
    const at = Date.UTC(2026, 2, 2, 16, 0);
    const w = await world({ broadcasts: [broadcast("late", { at: isoOf(at) }, { targets: { areaIds: ["P"], deviceIds: [] } })] });
    expect(ids(last(w.bus.plansOf("d1")))).toEqual([]);
    expect(ids(last(w.bus.plansOf("d4")))).toEqual([`late:${at}`]);
    expect(w.delivery.stats().quietDropped).toBe(3);
  });

  it("notices a device moved to another area by itself (catalogue watch, no replan call) and republishes its plan", async () => {
    const at = T0 + HOUR;
    const w = await world({ config: { watchMs: 1000 }, broadcasts: [broadcast("bc1", { at: isoOf(at) }, { targets: { areaIds: ["V1"], deviceIds: [] } })] });
    w.bus.clear();
    await w.catalog.update((d) => {
      const dev = d.devices.find((x) => x.id === "d2");
      if (dev) dev.areaId = "V3";
    });
    await w.clock.advance(999);
    expect(w.bus.of("plan")).toEqual([]);
    await w.clock.advance(1);
    for (let i = 0; i < 20 && w.bus.of("plan").length === 0; i++) await w.clock.advance(0);
    expect(w.bus.of("plan").map((p) => [p.deviceId, p.payload.items.length])).toEqual([["d2", 0]]);
    await w.delivery.close();
  });
});

describe("media through createDelivery", () => {
  it("serves media a plan references, refuses others until allowed (a REST play_now)", async () => {
    const w = await world({ broadcasts: [broadcast("bc1", { at: isoOf(T0 + HOUR) })] });
    w.bus.deviceMediaReq("d1", { sha256: w.sha, missing: [0, 1, 2, 3] });
    const other = "e".repeat(64);
    w.bus.deviceMediaReq("d1", { sha256: other, missing: [0] });
    await w.clock.advance(1000);
    expect(w.bus.of("media").map((m) => m.index)).toEqual([0, 1, 2, 3]);
    expect(w.delivery.stats().media).toMatchObject({ refusedRequests: 1, chunksPublished: 4, bytesPublished: 200_000 });
    w.media.add(Buffer.alloc(5000, 7), other);
    w.delivery.allowMedia({ sha256: other, bytes: 5000, chunkSize: 65_536, durationMs: 1000, codec: "opus" }, T0 + 60_000);
    w.bus.deviceMediaReq("d1", { sha256: other, missing: [0] });
    await w.clock.advance(1000);
    expect(w.bus.of("media").filter((m) => m.sha256 === other)).toHaveLength(1);
    await w.clock.advance(60_000);
    w.bus.deviceMediaReq("d1", { sha256: other, missing: [0] });
    await w.clock.advance(1000);
    expect(w.delivery.stats().media.refusedRequests).toBe(2);
  });
});
