/**
 * Proof-of-play routes (ARCHITECTURE §7 `/api/v1/plays`, `/api/v1/reports/plays.csv`): filters, scoping,
 * cursor pages, and the CSV report (Vietnamese headers by default, BOM, times in the area's zone, RFC 4180
 * quoting, English on request).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isoOf, type BroadcastCreated, type DeviceEvent, type PlayList } from "@loa/shared";
import { bodyOf } from "../harness.fixture.js";
import { startDeliveryHarness, type DeliveryHarness } from "./delivery-routes.fixture.js";

let h: DeliveryHarness;
beforeEach(async () => {
  h = await startDeliveryHarness();
});
afterEach(async () => {
  await h.close();
});

const HOUR = 3_600_000;

async function schedule(user: string, body: Record<string, unknown>): Promise<string> {
  const r = await h.req("POST", "/api/v1/broadcasts", { cookie: await h.cookie(user), body: { bulletinId: "b1", ...body } });
  if (r.status !== 201) throw new Error(`${r.status} ${r.text}`);
  return bodyOf<BroadcastCreated>(r).broadcast.id;
}

/** The device reports it played `playId` (started at `at` + 2 s, 59.6 s long). */
async function played(deviceId: string, playId: string, at: number, seq: number): Promise<void> {
  const events = [
    { seq, ts: at + 2000, type: "play_started", playId, at: isoOf(at), startedAt: isoOf(at + 2000) },
    { seq: seq + 1, ts: at + 61_600, type: "play_finished", playId, playedMs: 59_600 },
  ] as DeviceEvent[];
  h.bus.deviceEvents(deviceId, { seq: seq + 1, events });
  for (let i = 0; i < 100 && h.bus.of("ack").filter((a) => a.deviceId === deviceId && a.payload.upToSeq >= seq + 1).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
}

describe("GET /api/v1/plays", () => {
  it("filters by broadcast, device, status and time; scoped to the caller's subtree; pages by cursor", async () => {
    const t0 = h.clock.now();
    const a = await schedule("c1staff", { targets: { areaIds: ["C1"] }, when: { at: isoOf(t0 + HOUR) } });
    const b = await schedule("c1staff", { targets: { deviceIds: ["d1"] }, when: { at: isoOf(t0 + 2 * HOUR) } });
    await schedule("c2staff", { bulletinId: "b2", targets: { areaIds: ["C2"] }, when: { at: isoOf(t0 + HOUR) } });
    const get = async (user: string, q: string) => h.req("GET", `/api/v1/plays${q}`, { cookie: await h.cookie(user) });
    const ids = (r: { json: unknown }) => bodyOf<PlayList>(r).items.map((p) => `${p.deviceId}@${p.broadcastId}`);
    expect(ids(await get("c1staff", ""))).toEqual([`d1@${b}`, `d1@${a}`, `d2@${a}`, `d3@${a}`]);
    expect(ids(await get("c2op", ""))).toHaveLength(1);
    expect(ids(await get("root", ""))).toHaveLength(5);
    expect(ids(await get("c1staff", `?broadcastId=${a}&deviceId=d2`))).toEqual([`d2@${a}`]);
    expect(ids(await get("c1staff", `?to=${encodeURIComponent(isoOf(t0 + 90 * 60_000))}`))).toHaveLength(3);
    expect(ids(await get("c1staff", "?areaId=V1"))).toEqual([`d1@${b}`, `d1@${a}`, `d2@${a}`]);
    expect((await get("c1staff", "?areaId=V2")).status).toBe(404);
    await played("d2", `${a}:${t0 + HOUR}`, t0 + HOUR, 1);
    expect(ids(await get("c1staff", "?status=finished"))).toEqual([`d2@${a}`]);
    // Pages of 3, then the rest.
    const page1 = bodyOf<PlayList>(await get("c1staff", "?limit=3"));
    expect(page1.items).toHaveLength(3);
    expect(page1.nextCursor).not.toBeNull();
    const page2 = bodyOf<PlayList>(await get("c1staff", `?limit=3&cursor=${page1.nextCursor ?? ""}`));
    expect(page2.items.map((p) => p.deviceId)).toEqual(["d3"]);
    expect(page2.nextCursor).toBeNull();
    expect((await get("c1staff", "?cursor=bm9wZQ")).status).toBe(422);
  });
});

describe("GET /api/v1/reports/plays.csv", () => {
  it("Vietnamese headers and status words, BOM, times on the area's clock, quoted titles; English with lang=en", async () => {
    await h.catalog.update((d) => {
      const v1 = d.areas.find((a) => a.id === "V1");
      if (v1) v1.tz = "Asia/Tokyo";
    });
    const at = Date.UTC(2026, 0, 2, 23, 30); // 06:30 on the 3rd in Hanoi, 08:30 in Tokyo
    const id = await schedule("c1staff", { targets: { deviceIds: ["d1", "d3"] }, when: { at: isoOf(at) } });
    await played("d1", `${id}:${at}`, at, 1);
    const r = await h.req("GET", "/api/v1/reports/plays.csv?from=2026-01-01&to=2026-01-03", { cookie: await h.cookie("c1op") });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(r.headers.get("content-disposition")).toContain("attachment");
    const raw = Buffer.from(await (await fetch(`${h.url}/api/v1/reports/plays.csv`, { headers: { cookie: await h.cookie("c1op") } })).arrayBuffer());
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = r.text.replace(/^\uFEFF/, "").split("\r\n");
    expect(lines[0]).toBe("Mã phát,Bản tin,Thiết bị,Khu vực,Thời điểm,Trạng thái,Lý do,Bắt đầu,Kết thúc,Thời lượng (giây)");
    const rows = lines.slice(1).filter((l) => l !== "").sort();
    expect(rows).toEqual([
      `${id}:${at},"Họp thôn, ""khẩn""",Loa d1,Thôn Một,2026-01-03 08:30:00,Đã phát xong,,2026-01-03 08:30:02,2026-01-03 08:31:01,60`,
      `${id}:${at},"Họp thôn, ""khẩn""",Loa d3,Xã Một,2026-01-03 06:30:00,Đã lên lịch,,,,`,
    ]);
    const en = await h.req("GET", "/api/v1/reports/plays.csv?lang=en&areaId=V1", { cookie: await h.cookie("c1staff") });
    const enLines = en.text.replace(/^\uFEFF/, "").split("\r\n");
    expect(enLines[0]).toBe("Play ID,Bulletin,Device,Area,Scheduled,Status,Reason,Started,Finished,Duration (s)");
    expect(enLines[1]).toContain(",finished,");
    expect(enLines.filter((l) => l !== "")).toHaveLength(2);
    // A day range that does not hold the play: headers only.
    const none = await h.req("GET", "/api/v1/reports/plays.csv?from=2026-01-04", { cookie: await h.cookie("c1op") });
    expect(none.text.replace(/^\uFEFF/, "").split("\r\n").filter((l) => l !== "")).toHaveLength(1);
    expect((await h.req("GET", "/api/v1/reports/plays.csv?lang=fr", { cookie: await h.cookie("c1op") })).status).toBe(422);
  });
});
