/**
 * The HTTP harness (real store, seeded users) with delivery's routes over an in-memory bus, a fake presence
 * and in-memory media; a bulletin of 60 s in C1 and devices in V1 (C1) and V2 (C2).
 */
import { createDelivery, type Delivery } from "../../delivery/delivery.js";
import { FakePresence, MemoryMediaSource, audio, bulletin, silent } from "../../delivery/delivery.fixture.js";
import { MemoryDeliveryBus } from "../../delivery/memory-bus.js";
import { loginOnce, startHarness, type Harness } from "../harness.fixture.js";
import type { RouteModule } from "../app.js";

export interface DeliveryHarness extends Harness {
  delivery: Delivery;
  bus: MemoryDeliveryBus;
  presence: FakePresence;
  sha: string;
  cookie(username: string): Promise<string>;
}

export async function startDeliveryHarness(): Promise<DeliveryHarness> {
  const bus = new MemoryDeliveryBus();
  const presence = new FakePresence();
  const media = new MemoryMediaSource();
  const { data, sha256 } = audio();
  media.add(data, sha256);
  let delivery: Delivery | undefined;
  // The harness builds the store; delivery is made from the app's context when the routes register.
  const routes: RouteModule = (api, ctx) => {
    delivery = createDelivery({
      catalog: ctx.catalog, journal: ctx.journal, bus, presence, clock: ctx.clock, log: silent, mediaSource: media,
      mediaPathOf: () => Promise.resolve(undefined),
      config: { schedule: false, watchMs: 0, tz: "Asia/Ho_Chi_Minh" },
    });
    for (const r of delivery.routes) r(api, ctx);
  };
  const h = await startHarness({ routes: [routes] });
  if (!delivery) throw new Error("delivery routes were not registered");
  await h.catalog.update((d) => {
    d.bulletins.push({ ...bulletin("b1", sha256), areaId: "C1", title: "Họp thôn, \"khẩn\"" }, { ...bulletin("b2", sha256), areaId: "C2" });
  });
  for (const [id, area] of [["d1", "V1"], ["d2", "V1"], ["d3", "C1"], ["d9", "V2"]] as const) await h.addDevice(id, area);
  await delivery.start();
  bus.clear();
  const started = delivery;
  return {
    ...h,
    delivery: started,
    bus,
    presence,
    sha: sha256,
    cookie: loginOnce(h.login),
    close: async (opts) => {
      await started.close();
      await h.close(opts);
    },
  };
}
