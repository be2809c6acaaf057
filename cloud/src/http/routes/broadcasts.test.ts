/**
 * Broadcast routes (ARCHITECTURE §7 `/api/v1/broadcasts`) on the real store and the HTTP harness: scoping
 * and roles, every refusal (unknown ids named, cron, zone, quiet hours in both languages), emergency
 * exempt, conflicts reported, plans republished before the reply, the per-device summary.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isoOf, type BroadcastCreated, type BroadcastDetail, type BroadcastView, type DeviceEvent, type ProblemDetails } from "@loa/shared";
import { readAudit } from "../../core/audit.js";
import { bodyOf } from "../harness.fixture.js";
import { startDeliveryHarness, type DeliveryHarness } from "./delivery-routes.fixture.js";

type Problem = ProblemDetails & {
  violations?: Array<{ areaId: string; start: string; end: string; localAt: string; message: { vi: string; en: string } }>;
};

let h: DeliveryHarness;
beforeEach(async () => {
  h = await startDeliveryHarness();
});
afterEach(async () => {
  await h.close();
});

const HOUR = 3_600_000;
const post = async (user: string, body: unknown) => h.req("POST", "/api/v1/broadcasts", { cookie: await h.cookie(user), body });
const atIn = (ms: number) => ({ at: isoOf(h.clock.now() + ms) });
const created = (r: { json: unknown }) => bodyOf<BroadcastCreated>(r);
const problemOf = (r: { json: unknown }) => bodyOf<Problem>(r);

describe("POST /api/v1/broadcasts", () => {
  it("schedules a bulletin for a commune: 201, owner area, plans published to its devices before the reply, audited", async () => {
    const r = await post("c1staff", { bulletinId: "b1", targets: { areaIds: ["C1"] }, priority: "normal", when: atIn(HOUR), volume: 70 });
    expect(r.status).toBe(201);
    const c = created(r);
    expect(c.broadcast).toMatchObject({ bulletinId: "b1", status: "active", areaId: "C1", volume: 70, createdBy: "u_c1staff", bulletinTitle: "Họp thôn, \"khẩn\"", nextAt: isoOf(h.clock.now() + HOUR) });
    expect(c.targetDevices).toBe(3);
    expect(c.plannedPlays).toBe(3);
    expect(c.conflicts).toEqual([]);
    expect(r.headers.get("location")).toBe(`/api/v1/broadcasts/${c.broadcast.id}`);
    expect(h.bus.of("plan").map((p) => p.deviceId).sort()).toEqual(["d1", "d2", "d3"]);
    expect(h.bus.plansOf("d1").at(-1)?.items[0]).toMatchObject({ playId: `${c.broadcast.id}:${h.clock.now() + HOUR}`, volume: 70 });
    const audit = await readAudit(h.journal, (e) => e.action === "broadcast.create");
    expect(audit).toHaveLength(1);
    expect(audit[0]?.target).toEqual({ type: "broadcast", id: c.broadcast.id });
  });

  it("a province admin's broadcast to one village belongs to that village's commune tree: C1 staff see it, C2 staff do not", async () => {
    const r = await post("root", { bulletinId: "b1", targets: { areaIds: ["V1"], deviceIds: ["d3"] }, when: atIn(HOUR) });
    expect(r.status).toBe(201);
    const id = created(r).broadcast.id;
    expect(created(r).broadcast.areaId).toBe("C1");
    expect((await h.req("GET", `/api/v1/broadcasts/${id}`, { cookie: await h.cookie("c1staff") })).status).toBe(200);
    expect((await h.req("GET", `/api/v1/broadcasts/${id}`, { cookie: await h.cookie("c2staff") })).status).toBe(404);
  });

  it("operators may read but not write (403)", async () => {
    const r = await post("c1op", { bulletinId: "b1", targets: { areaIds: ["C1"] }, when: atIn(HOUR) });
    expect(r.status).toBe(403);
    expect((await h.req("GET", "/api/v1/broadcasts", { cookie: await h.cookie("c1op") })).status).toBe(200);
  });

  it("names unknown targets (422), refuses a bulletin outside the area (422) and targets outside it (403)", async () => {
    const unknown = await post("c1staff", { bulletinId: "b1", targets: { areaIds: ["C1", "nowhere"], deviceIds: ["ghost"] }, when: atIn(HOUR) });
    expect(unknown.status).toBe(422);
    expect(problemOf(unknown)).toMatchObject({ code: "unknown_targets", errors: [{ path: "$.targets.areaIds[1]", message: "unknown area nowhere" }, { path: "$.targets.deviceIds[0]", message: "unknown device ghost" }] });
    expect(problemOf(unknown).detailVi).toContain("nowhere");
    const foreignBulletin = await post("c1staff", { bulletinId: "b2", targets: { areaIds: ["C1"] }, when: atIn(HOUR) });
    expect([foreignBulletin.status, problemOf(foreignBulletin).code]).toEqual([422, "bulletin_unknown"]);
    const foreignTarget = await post("c1staff", { bulletinId: "b1", targets: { deviceIds: ["d9"] }, when: atIn(HOUR) });
    expect([foreignTarget.status, problemOf(foreignTarget).code]).toEqual([403, "forbidden"]);
    const none = await post("c1staff", { bulletinId: "b1", targets: {}, when: atIn(HOUR) });
    expect([none.status, problemOf(none).code]).toEqual([422, "invalid_body"]);
    expect(h.catalog.data().broadcasts).toEqual([]);
  });

  it("refuses a broken cron, an unknown zone and a time in the past, in both languages", async () => {
    const cron = await post("c1staff", { bulletinId: "b1", targets: { areaIds: ["C1"] }, when: { cron: "0 61 6 * * *" } });
    expect(cron.status).toBe(422);
    expect(problemOf(cron)).toMatchObject({ code: "invalid_cron", errors: [{ path: "$.when.cron" }] });
    expect(problemOf(cron).detailVi).toMatch(/^Biểu thức lịch/);
    const tz = await post("c1staff", { bulletinId: "b1", targets: { areaIds: ["C1"] }, when: { cron: "0 30 6 * * *", tz: "Mars/Olympus" } });
    expect([tz.status, problemOf(tz).code]).toEqual([422, "invalid_tz"]);
    const past = await post("c1staff", { bulletinId: "b1", targets: { areaIds: ["C1"] }, when: atIn(-HOUR) });
    expect([past.status, problemOf(past).code]).toEqual([422, "invalid_time"]);
    const over = await post("c1staff", { bulletinId: "b1", targets: { areaIds: ["C1"] }, when: { cron: "0 30 6 * * *", until: isoOf(h.clock.now() - HOUR) } });
    expect([over.status, problemOf(over).code]).toEqual([422, "no_occurrence"]);
  });

  it("refuses a non-emergency play in quiet hours naming the area and the hours; an emergency goes through", async () => {
    await h.catalog.update((d) => {
      const c1 = d.areas.find((a) => a.id === "C1");
      if (c1) c1.quietHours = { start: "22:00", end: "05:00" };
    });
    // The harness clock is 15:00 in Hanoi: 8 h later is 23:00 there.
    const r = await post("c1staff", { bulletinId: "b1", targets: { areaIds: ["C1"] }, priority: "priority", when: atIn(8 * HOUR) });
    expect(r.status).toBe(422);
    const p = problemOf(r);
    expect(p.code).toBe("quiet_hours");
    expect(p.detail).toContain("Một commune is in quiet hours 22:00–05:00");
    expect(p.detailVi).toContain("Xã Một đang trong giờ yên tĩnh 22:00–05:00");
    expect(p.violations?.[0]).toMatchObject({ areaId: "C1", start: "22:00", end: "05:00", localAt: "2026-01-01 23:00" });
    const emergency = await post("c1admin", { bulletinId: "b1", targets: { areaIds: ["C1"] }, priority: "emergency", when: atIn(8 * HOUR) });
    expect(emergency.status).toBe(201);
    expect(h.bus.plansOf("d1").at(-1)?.items.map((i) => i.priority)).toEqual(["emergency"]);
  });

  it("reports conflicts on the devices both reach (not refused), in staff's order, at creation and on GET", async () => {
    const first = created(await post("c1staff", { bulletinId: "b1", targets: { areaIds: ["V1"] }, priority: "priority", when: atIn(HOUR) }));
    const r = await post("c1staff", { bulletinId: "b1", targets: { areaIds: ["C1"] }, priority: "priority", when: atIn(HOUR + 30_000), order: -1 });
    expect(r.status).toBe(201);
    const second = created(r);
    expect(second.conflicts.map((c) => c.deviceId).sort()).toEqual(["d1", "d2"]);
    expect(second.conflicts[0]).toMatchObject({ rule: "order", overlapMs: 30_000, first: { broadcastId: second.broadcast.id }, second: { broadcastId: first.broadcast.id } });
    const detail = bodyOf<BroadcastDetail>(await h.req("GET", `/api/v1/broadcasts/${first.broadcast.id}`, { cookie: await h.cookie("c1op") }));
    expect(detail.conflicts).toHaveLength(2);
  });

  it("a `now` broadcast also goes out as play_now to each device, with the plan's playId and an expiry", async () => {
    const r = await post("c1staff", { bulletinId: "b1", targets: { areaIds: ["V1"] }, priority: "emergency", when: { now: true } });
    expect(r.status).toBe(201);
    const id = created(r).broadcast.id;
    const cmds = h.bus.of("cmd");
    expect(cmds.map((c) => c.deviceId).sort()).toEqual(["d1", "d2"]);
    expect(cmds[0]?.payload).toMatchObject({ type: "play_now", args: { playId: `${id}:${h.clock.now()}`, priority: "emergency", media: { sha256: h.sha } }, expiresAt: isoOf(h.clock.now() + 5 * 60_000) });
    expect(h.bus.plansOf("d1").at(-1)?.items.map((i) => i.playId)).toEqual([`${id}:${h.clock.now()}`]);
  });
});

describe("GET and PATCH /api/v1/broadcasts/:id", () => {
  async function scheduled(): Promise<string> {
    return created(await post("c1staff", { bulletinId: "b1", targets: { areaIds: ["C1"] }, when: atIn(HOUR) })).broadcast.id;
  }

  it("summarises the plays per device: counts by status, failures by reason", async () => {
    const id = await scheduled();
    const at = h.clock.now() + HOUR;
    const playId = `${id}:${at}`;
    const ev = (seq: number, e: Record<string, unknown>) => ({ seq, ts: at, ...e }) as DeviceEvent;
    h.bus.deviceEvents("d1", { seq: 1, events: [ev(1, { type: "play_started", playId, at: isoOf(at), startedAt: isoOf(at) })] });
    h.bus.deviceEvents("d2", { seq: 2, events: [ev(1, { type: "play_failed", playId, reason: "amp_unreachable" }), ev(2, { type: "play_finished", playId, playedMs: 1 })] });
    await h.clock.advance(0);
    await new Promise((r) => setTimeout(r, 50));
    const r = await h.req("GET", `/api/v1/broadcasts/${id}`, { cookie: await h.cookie("c1op") });
    expect(r.status).toBe(200);
    const d = bodyOf<BroadcastDetail>(r);
    expect(d.broadcast.summary).toMatchObject({ devices: 3, plays: 3, byStatus: { planned: 1, started: 1, failed: 1, finished: 0 }, reasons: { amp_unreachable: 1 }, devicesFinished: 0 });
    expect(d.plays.map((p) => [p.deviceId, p.status]).sort()).toEqual([["d1", "started"], ["d2", "failed"], ["d3", "planned"]]);
    expect(d.playsTotal).toBe(3);
    const list = bodyOf<{ items: BroadcastView[] }>(await h.req("GET", "/api/v1/broadcasts?status=active", { cookie: await h.cookie("c1staff") }));
    expect(list.items.map((b) => [b.id, b.summary.plays])).toEqual([[id, 3]]);
  });

  it("cancel republishes every affected plan before the reply; a cancelled broadcast stays cancelled (409)", async () => {
    const id = await scheduled();
    h.bus.clear();
    const r = await h.req("PATCH", `/api/v1/broadcasts/${id}`, { cookie: await h.cookie("c1staff"), body: { status: "cancelled" } });
    expect(r.status).toBe(200);
    expect(bodyOf<BroadcastDetail>(r).broadcast.status).toBe("cancelled");
    expect(h.bus.of("plan").map((p) => [p.deviceId, p.payload.items.length]).sort()).toEqual([["d1", 0], ["d2", 0], ["d3", 0]]);
    const again = await h.req("PATCH", `/api/v1/broadcasts/${id}`, { cookie: await h.cookie("c1staff"), body: { status: "active" } });
    expect(again.status).toBe(409);
    expect(problemOf(again)).toMatchObject({ code: "broadcast_final" });
    expect(problemOf(again).detailVi).toContain("bị hủy");
  });

  it("pause and resume; order set and cleared; operators and other communes get 403", async () => {
    const id = await scheduled();
    const patch = async (user: string, body: unknown) => h.req("PATCH", `/api/v1/broadcasts/${id}`, { cookie: await h.cookie(user), body });
    expect((await patch("c1op", { status: "paused" })).status).toBe(403);
    expect((await patch("c2staff", { status: "paused" })).status).toBe(403);
    expect((await patch("c1staff", { status: "paused" })).status).toBe(200);
    expect(h.bus.plansOf("d1").at(-1)?.items).toEqual([]);
    expect((await patch("c1staff", { status: "active", order: 3 })).status).toBe(200);
    expect(h.bus.plansOf("d1").at(-1)?.items).toHaveLength(1);
    expect(h.catalog.data().broadcasts[0]?.order).toBe(3);
    expect((await patch("c1staff", { order: null })).status).toBe(200);
    expect(h.catalog.data().broadcasts[0]?.order).toBeUndefined();
    expect((await patch("c1staff", {})).status).toBe(422);
  });
});
