/**
 * The per-minute roll without a full build (issue #9; ARCHITECTURE §3 "as the horizon rolls"): the plans
 * published equal a full rebuild at every minute, only changed plans go out, and a full build converts
 * plans in slices with a turn of the event loop between them. PlanService directly, FakeClock, a
 * copy-on-write catalogue like the durable one (an untouched collection keeps its identity).
 */
import { describe, expect, it } from "vitest";
import { FakeClock, isoOf, type Broadcast, type Device, type PlanItem } from "@loa/shared";
import { buildPlans, fingerprintOf } from "../scheduling/index.js";
import { PlanService } from "./plan-service.js";
import { PlayBook } from "./play-book.js";
import { MemoryDeliveryBus } from "./memory-bus.js";
import { MemoryJournal } from "../testing/memory-store.js";
import { emptyCatalog } from "../ports/store.js";
import { CowCatalog, T0, areas, broadcast, bulletin, device, silent } from "./delivery.fixture.js";

const MIN = 60_000;
const SHA = "a".repeat(64);

function fleet(n: number): Device[] {
  const villages = ["V1", "V2", "V3"];
  return Array.from({ length: n }, (_, i) => device(`d${i}`, villages[i % 3] ?? "V1"));
}

function setup(opts: { devices: Device[]; broadcasts: Broadcast[]; horizonH?: number; sliceSize?: number; yieldTurn?: () => Promise<void> }) {
  const clock = new FakeClock(T0);
  const catalog = new CowCatalog({ ...emptyCatalog(), areas: areas(), devices: opts.devices, bulletins: [bulletin("b1", SHA)], broadcasts: opts.broadcasts });
  const bus = new MemoryDeliveryBus();
  const book = new PlayBook({ journal: new MemoryJournal(), clock, log: silent, retentionMs: 86_400_000 });
  const plans = new PlanService({
    catalog, bus, book, clock, log: silent, horizonH: opts.horizonH ?? 1, chunkSize: 65_536,
    ...(opts.sliceSize ? { sliceSize: opts.sliceSize } : {}), ...(opts.yieldTurn ? { yieldTurn: opts.yieldTurn } : {}),
  });
  /** What the old code published: a full build of every plan at the clock's now. */
  const fullBuild = (): Map<string, PlanItem[]> => buildPlans({ ...catalog.data(), nowMs: clock.now(), horizonH: opts.horizonH ?? 1, chunkSize: 65_536 });
  return { clock, catalog, bus, book, plans, fullBuild };
}

const scenario = (): Broadcast[] => [
  broadcast("every10", { cron: "0 */10 * * * *", tz: "UTC" }, { targets: { areaIds: ["C"], deviceIds: [] } }),
  broadcast("hourly", { cron: "0 5 * * * *", tz: "UTC" }, { targets: { areaIds: ["V3"], deviceIds: [] }, priority: "priority" }),
  broadcast("once", { at: isoOf(T0 + 37 * MIN) }, { targets: { areaIds: [], deviceIds: ["d0", "d4"] } }),
  broadcast("urgent", { now: true }, { targets: { areaIds: ["P"], deviceIds: [] }, priority: "emergency", createdAt: isoOf(T0 + 30_000) }),
];

describe("plan roll", () => {
  it("publishes exactly what a full rebuild would, and only the plans that changed, minute by minute", async () => {
    const w = setup({ devices: fleet(12), broadcasts: scenario() });
    await w.plans.replan("start", { reconcile: true });
    let prev = w.fullBuild();
    let expectedPublishes = prev.size;
    for (let minute = 1; minute <= 90; minute++) {
      await w.clock.advance(MIN);
      if (minute === 50) {
        // A catalogue change mid-way: `every10` is cancelled (a new broadcasts collection, as the store does).
        await w.catalog.update((d) => void (d.broadcasts = d.broadcasts.map((b) => (b.id === "every10" ? { ...b, status: "cancelled" as const } : b))));
      }
      await w.plans.replan("horizon roll");
      const now = w.fullBuild();
      for (const [id, items] of now) {
        expect(w.bus.plansOf(id).at(-1)?.items, `minute ${minute}, ${id}`).toEqual(items);
        if (fingerprintOf(items) !== fingerprintOf(prev.get(id) ?? [])) expectedPublishes++;
      }
      expect(w.bus.of("plan"), `minute ${minute}`).toHaveLength(expectedPublishes);
      prev = now;
    }
    // Most minutes were served by pruning: full builds at the start, when `every10` (:x0) or `hourly` (:05)
    // enter the 1 h horizon, and after the cancel.
    const stats = w.plans.stats();
    expect(stats.rolls).toBeGreaterThan(40);
    expect(stats.replans - stats.rolls).toBeGreaterThanOrEqual(8);
    // A roll that neither prunes nor adds publishes nothing and writes no versions.
    const writes = w.catalog.writes;
    const before = w.bus.of("plan").length;
    await w.plans.replan("again");
    expect(w.bus.of("plan")).toHaveLength(before);
    expect(w.catalog.writes).toBe(writes);
  });

  it("a roll only prunes: the devices that lost an ended play get a new version, the rest nothing", async () => {
    const w = setup({ devices: fleet(6), broadcasts: [broadcast("once", { at: isoOf(T0 + 2 * MIN) }, { targets: { areaIds: [], deviceIds: ["d1", "d2"] } })] });
    await w.plans.replan("start", { reconcile: true });
    const v1 = w.bus.plansOf("d1").at(-1)?.version ?? Infinity;
    w.bus.clear();
    await w.clock.advance(2 * MIN);
    await w.plans.replan("roll"); // playing now: still in the plan
    expect(w.bus.of("plan")).toEqual([]);
    await w.clock.advance(MIN); // ended (60 s bulletin)
    await w.plans.replan("roll");
    expect(w.bus.of("plan").map((p) => [p.deviceId, p.payload.items.length])).toEqual([["d1", 0], ["d2", 0]]);
    expect(w.bus.plansOf("d1")[0]?.version).toBeGreaterThan(v1);
    expect(w.plans.stats().rolls).toBe(2);
    expect(w.plans.plannedCount("once")).toBe(0);
  });

  it("a plan whose publish failed goes out again on the next roll, though nothing else changed", async () => {
    const w = setup({ devices: fleet(3), broadcasts: [broadcast("once", { at: isoOf(T0 + 30 * MIN) }, { targets: { areaIds: [], deviceIds: ["d1"] } })] });
    const publish = w.bus.publishPlan.bind(w.bus);
    let fail = true;
    w.bus.publishPlan = (id, plan) => (fail && id === "d1" ? Promise.reject(new Error("broker down")) : publish(id, plan));
    const first = await w.plans.replan("start", { reconcile: true });
    expect(first.failed).toEqual(["d1"]);
    fail = false;
    await w.clock.advance(MIN);
    const again = await w.plans.replan("roll");
    expect(again.published).toEqual(["d1"]);
    expect(w.plans.stats().rolls).toBe(1);
    expect(w.bus.plansOf("d1").at(-1)?.items.map((i) => i.playId)).toEqual([`once:${T0 + 30 * MIN}`]);
  });

  it("a full build converts plans in slices with a turn between them; a catalogue change during it restarts it", async () => {
    const turns: number[] = [];
    let w: ReturnType<typeof setup> | undefined;
    const yieldTurn = async (): Promise<void> => {
      turns.push(w?.bus.of("plan").length ?? -1);
      // The first turn of the first build: staff add a broadcast meanwhile.
      if (turns.length === 1) await w?.catalog.update((d) => void (d.broadcasts = [...d.broadcasts, broadcast("late", { at: isoOf(T0 + 20 * MIN) }, { targets: { areaIds: ["P"], deviceIds: [] } })]));
    };
    w = setup({ devices: fleet(1200), broadcasts: [broadcast("once", { at: isoOf(T0 + 10 * MIN) }, { targets: { areaIds: ["C"], deviceIds: [] } })], sliceSize: 500, yieldTurn });
    await w.plans.replan("start", { reconcile: true });
    // 1,200 devices in slices of 500: the first build was abandoned after its first turn; the second took two
    // turns to convert and two to record the plays, all before any plan went out, then published at most
    // one slice (rounded up to the 64 handed to the broker at once) per turn.
    expect(turns).toEqual([0, 0, 0, 0, 0, 512, 1024]);
    // Nothing went out from the replaced catalogue: every device got one plan, and it holds `late`.
    expect(w.bus.of("plan")).toHaveLength(1200);
    for (const p of w.bus.of("plan")) expect(p.payload.items.map((i) => i.playId)).toContain(`late:${T0 + 20 * MIN}`);
  });

  it("a roll that changes many plans converts them in slices; a catalogue change meanwhile turns it into a full build", async () => {
    let turns = 0;
    let onTurn: (() => Promise<void>) | undefined;
    const yieldTurn = async (): Promise<void> => {
      turns++;
      await onTurn?.();
    };
    const all = { areaIds: ["P"], deviceIds: [] };
    const w = setup({ devices: fleet(1200), broadcasts: [broadcast("a", { at: isoOf(T0 + MIN) }, { targets: all }), broadcast("b", { at: isoOf(T0 + 5 * MIN) }, { targets: all })], sliceSize: 500, yieldTurn });
    await w.plans.replan("start", { reconcile: true });
    expect(turns).toBe(6); // converting, recording plays, publishing: 2 turns each
    w.bus.clear();
    await w.clock.advance(2 * MIN); // `a` ended on every receiver
    await w.plans.replan("roll");
    expect([turns, w.plans.stats().rolls, w.bus.of("plan").length]).toEqual([12, 1, 1200]);
    w.bus.clear();
    onTurn = async () => {
      onTurn = undefined;
      await w.catalog.update((d) => void (d.broadcasts = [...d.broadcasts, broadcast("c", { at: isoOf(T0 + 30 * MIN) }, { targets: all })]));
    };
    await w.clock.advance(4 * MIN); // `b` ended: a roll, abandoned at its first turn for a full build
    await w.plans.replan("roll");
    expect(w.plans.stats().rolls).toBe(1);
    expect(w.bus.of("plan")).toHaveLength(1200);
    for (const p of w.bus.of("plan")) expect(p.payload.items.map((i) => i.playId)).toEqual([`c:${T0 + 30 * MIN}`]);
  });
});
