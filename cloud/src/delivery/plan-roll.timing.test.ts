/**
 * Timing of the per-minute roll with 10,000 receivers (issue #9), printed, never asserted: machines differ.
 * Run by hand: `LOA_TIMING=1 npx vitest run cloud/src/delivery/plan-roll.timing.test.ts`.
 * "old" repeats what each roll did before: planPlays, toPlanItems, the versioner's diff (a sha256 per
 * device) and serialising the versions to compare with the saved ones, all in one block.
 */
import { describe, expect, it } from "vitest";
import { FakeClock, isoOf, type Broadcast, type Device } from "@loa/shared";
import { PlanVersioner, planPlays, toPlanItems } from "../scheduling/index.js";
import { emptyCatalog } from "../ports/store.js";
import { CowCatalog, T0, areas, broadcast, bulletin, device, silent } from "./delivery.fixture.js";
import { MemoryDeliveryBus } from "./memory-bus.js";
import { PlanService } from "./plan-service.js";
import { PlayBook } from "./play-book.js";

const MIN = 60_000;
const N = 10_000;

const fleet = (): Device[] => Array.from({ length: N }, (_, i) => device(`d${i}`, ["V1", "V2", "V3"][i % 3] ?? "V1"));

const scenarios: Record<string, Broadcast[]> = {
  "no broadcasts (the ingest bench)": [],
  "3 broadcasts (daily to all, 3-hourly to C, one `at` to V3)": [
    broadcast("daily", { cron: "0 30 6 * * *", tz: "Asia/Ho_Chi_Minh" }, { targets: { areaIds: ["P"], deviceIds: [] } }),
    broadcast("3h", { cron: "0 0 */3 * * *", tz: "Asia/Ho_Chi_Minh" }, { targets: { areaIds: ["C"], deviceIds: [] } }),
    broadcast("once", { at: isoOf(T0 + 20 * MIN) }, { targets: { areaIds: ["V3"], deviceIds: [] } }),
  ],
};

const ms = (t: bigint): string => (Number(t) / 1e6).toFixed(1);

describe("roll timing, 10,000 receivers", () => {
  for (const [name, broadcasts] of Object.entries(scenarios)) {
    it(name, async () => {
      const clock = new FakeClock(T0);
      const catalog = new CowCatalog({ ...emptyCatalog(), areas: areas(), devices: fleet(), bulletins: [bulletin("b1", "a".repeat(64))], broadcasts });
      // Old: one block per roll.
      const versioner = new PlanVersioner({ clock });
      const old: string[] = [];
      const build: string[] = [];
      for (let m = 0; m < 6; m++) {
        const t = process.hrtime.bigint();
        const r = planPlays({ ...catalog.data(), nowMs: T0 + m * MIN, horizonH: 48, chunkSize: 65_536 });
        build.push(ms(process.hrtime.bigint() - t));
        versioner.diff(toPlanItems(r.byDevice));
        JSON.stringify(versioner.state());
        old.push(ms(process.hrtime.bigint() - t));
      }
      // New: the service, with the turns of its full build timed.
      let mark = process.hrtime.bigint();
      let longest = 0n;
      const yieldTurn = async (): Promise<void> => {
        const now = process.hrtime.bigint();
        if (now - mark > longest) longest = now - mark;
        await new Promise<void>((resolve) => setImmediate(resolve));
        mark = process.hrtime.bigint();
      };
      const book = new PlayBook({ journal: { append: () => Promise.resolve() }, clock, log: silent, retentionMs: 86_400_000 });
      const service = new PlanService({ catalog, bus: new MemoryDeliveryBus(), book, clock, log: silent, horizonH: 48, chunkSize: 65_536, yieldTurn });
      const rolls: string[] = [];
      for (let m = 0; m < 6; m++) {
        await clock.advance(m === 0 ? 0 : MIN);
        longest = 0n;
        const t = process.hrtime.bigint();
        mark = t;
        await service.replan(m === 0 ? "start" : "horizon roll", { reconcile: m === 0 });
        const tail = process.hrtime.bigint() - mark;
        rolls.push(`${ms(process.hrtime.bigint() - t)} (longest block ${ms(tail > longest ? tail : longest)})`);
      }
      console.log(`${name}\n  old roll, ms per minute: ${old.join(", ")}\n  of which planPlays (still one block in a full build): ${build.join(", ")}\n  new replan, ms per minute (first = start, full build): ${rolls.join(", ")}\n  rolls served by pruning: ${service.stats().rolls}`);
      expect(service.stats().replans).toBe(6);
    }, 120_000);
  }
});
