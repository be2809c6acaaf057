import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readAudit } from "../core/audit.js";
import { verifyMosquittoHash } from "../broker/mosquitto-passwd.js";
import { verifyDeviceToken } from "../core/auth/device-tokens.js";
import { sha256Hex } from "../core/auth/secrets.js";
import { bodyOf, startHarness, type Harness } from "./harness.fixture.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

interface Created {
  device: { id: string; name: string; areaId: string; profile: string; state: string };
  token: string;
  edgeConfig: Record<string, unknown>;
}

const names = (r: { json: unknown }) => bodyOf<{ items: Array<{ id: string }> }>(r).items.map((d) => d.id);

describe("POST /api/v1/devices", () => {
  it("provisions a device: token once (stored as sha256), a ready edge config, audit", async () => {
    const r = await h.req("POST", "/api/v1/devices", { cookie: await h.login("c1op"), body: { name: "Loa chợ", areaId: "V1" } });
    expect(r.status).toBe(201);
    const c = bodyOf<Created>(r);
    expect(c.device).toMatchObject({ name: "Loa chợ", areaId: "V1", profile: "loa-amp-v1", state: "offline" });
    expect(c.device.id).toMatch(/^dev_[0-9a-f]{12}$/);
    expect(c.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(c.edgeConfig).toEqual({ deviceId: c.device.id, token: c.token, mqttUrl: "mqtt://loa.test:1883", prefix: "loa/v1", profile: "loa-amp-v1", tz: "Asia/Ho_Chi_Minh" });
    expect(r.text).not.toContain("tokenHash");
    expect(r.text).not.toContain("mqttHash");
    const stored = h.catalog.data().devices.find((d) => d.id === c.device.id);
    expect(stored?.tokenHash).toBe(sha256Hex(c.token));
    // The same token as a Mosquitto hash, for `loa-cloud export-mosquitto` (ARCHITECTURE §4).
    expect(verifyMosquittoHash(stored?.mqttHash ?? "", c.token)).toBe(true);
    const audit = await readAudit(h.journal, (e) => e.action === "device.create");
    expect(audit).toMatchObject([{ who: { username: "c1op" }, target: { type: "device", id: c.device.id } }]);
    expect(JSON.stringify(audit)).not.toContain(c.token);
  });

  it("takes a village or a commune only, a known profile, a name free in the area", async () => {
    const cookie = await h.login("root");
    const district = await h.req("POST", "/api/v1/devices", { cookie, body: { name: "X", areaId: "D" } });
    expect(district.status).toBe(422);
    expect(district.json).toMatchObject({ detail: expect.stringContaining("village or a commune") });
    expect((await h.req("POST", "/api/v1/devices", { cookie, body: { name: "X", areaId: "C1", profile: "relay-v1" } })).status).toBe(201);
    expect((await h.req("POST", "/api/v1/devices", { cookie, body: { name: "x", areaId: "C1" } })).status).toBe(409);
    expect((await h.req("POST", "/api/v1/devices", { cookie, body: { name: "X", areaId: "nope" } })).status).toBe(422);
  });

  it("refuses an unknown profile when profiles are configured", async () => {
    const strict = await startHarness({ config: { profiles: ["loa-amp-v1"] } });
    const r = await strict.req("POST", "/api/v1/devices", { cookie: await strict.login("root"), body: { name: "X", areaId: "C1", profile: "mystery" } });
    await strict.close();
    expect(r.status).toBe(422);
    expect(r.json).toMatchObject({ detail: expect.stringContaining('unknown amplifier profile "mystery"') });
  });

  it("403 outside the subtree and for staff; 422 bad body; 401 anonymous", async () => {
    expect((await h.req("POST", "/api/v1/devices", { cookie: await h.login("c1op"), body: { name: "X", areaId: "V2" } })).status).toBe(403);
    expect((await h.req("POST", "/api/v1/devices", { cookie: await h.login("c1staff"), body: { name: "X", areaId: "V1" } })).status).toBe(403);
    const bad = await h.req("POST", "/api/v1/devices", { cookie: await h.login("c1op"), body: { areaId: "V1", profile: "Bad Profile!" } });
    expect(bad.status).toBe(422);
    expect(bodyOf<{ errors: Array<{ path: string }> }>(bad).errors.map((e) => e.path)).toEqual(["$.name", "$.profile"]);
    expect((await h.req("POST", "/api/v1/devices", { body: { name: "X", areaId: "V1" } })).status).toBe(401);
    expect(h.catalog.data().devices).toEqual([]);
  });
});

describe("GET /api/v1/devices", () => {
  beforeEach(async () => {
    await h.addDevice("dev_on", "V1");
    await h.addDevice("dev_fault", "C1");
    await h.addDevice("dev_off", "V1");
    await h.addDevice("dev_c2", "V2");
    const t = Date.UTC(2026, 0, 1, 7, 59);
    h.live.healths.set("dev_on", { online: true, lastSeen: t, agentVersion: "0.1.0", telemetry: { volume: 60 }, faults: [] });
    h.live.healths.set("dev_fault", { online: true, lastSeen: t, telemetry: null, faults: [{ code: "over_temperature", since: t }] });
    h.live.healths.set("dev_off", { online: false, lastSeen: t - 3600_000, telemetry: null, faults: [{ code: "mains_lost" }] });
  });

  it("lists the caller's devices with live health, no token hashes", async () => {
    const r = await h.req("GET", "/api/v1/devices", { cookie: await h.login("c1staff") });
    expect(r.status).toBe(200);
    const items = bodyOf<{ items: Array<{ id: string; state: string; health: unknown }> }>(r).items;
    expect(items.map((d) => [d.id, d.state])).toEqual([
      ["dev_fault", "fault"],
      ["dev_off", "offline"],
      ["dev_on", "online"],
    ]);
    expect(items.find((d) => d.id === "dev_on")?.health).toEqual({
      online: true,
      lastSeenAt: "2026-01-01T07:59:00.000Z",
      agentVersion: "0.1.0",
      telemetry: { volume: 60 },
      faults: [],
    });
    expect(r.text).not.toContain("tokenHash");
    expect(names(await h.req("GET", "/api/v1/devices", { cookie: await h.login("root") }))).toHaveLength(4);
  });

  it("filters by state and by area subtree; an area outside scope is 404; bad filters 422", async () => {
    const cookie = await h.login("c1op");
    expect(names(await h.req("GET", "/api/v1/devices?state=online", { cookie }))).toEqual(["dev_on"]);
    expect(names(await h.req("GET", "/api/v1/devices?state=fault", { cookie }))).toEqual(["dev_fault"]);
    expect(names(await h.req("GET", "/api/v1/devices?state=offline&areaId=V1", { cookie }))).toEqual(["dev_off"]);
    expect(names(await h.req("GET", "/api/v1/devices?areaId=V1", { cookie }))).toEqual(["dev_off", "dev_on"]);
    expect((await h.req("GET", "/api/v1/devices?areaId=V2", { cookie })).status).toBe(404);
    const bad = await h.req("GET", "/api/v1/devices?state=sleeping&color=red", { cookie });
    expect(bad.status).toBe(422);
    expect(bad.json).toMatchObject({ code: "invalid_query", errors: [{ path: "$query.state" }, { path: "$query" }] });
    expect((await h.req("GET", "/api/v1/devices")).status).toBe(401);
  });

  it("shows every device offline when no DeviceLive port is wired", async () => {
    const bare = await startHarness({ withPorts: false });
    await bare.addDevice("dev_x", "V1");
    const r = await bare.req("GET", "/api/v1/devices/dev_x", { cookie: await bare.login("c1op") });
    await bare.close();
    expect(r.json).toMatchObject({ state: "offline", health: { online: false, lastSeenAt: null, telemetry: null, faults: [] } });
  });

  it("GET /devices/:id: 200 in scope, 404 in another commune, 401 anonymous", async () => {
    const cookie = await h.login("c1staff");
    const r = await h.req("GET", "/api/v1/devices/dev_fault", { cookie });
    expect(r.json).toMatchObject({ id: "dev_fault", state: "fault", health: { faults: [{ code: "over_temperature", since: "2026-01-01T07:59:00.000Z" }] } });
    expect((await h.req("GET", "/api/v1/devices/dev_c2", { cookie })).status).toBe(404);
    expect((await h.req("GET", "/api/v1/devices/dev_on")).status).toBe(401);
  });
});

interface Page {
  items: Array<{ id: string; name: string; state: string }>;
  nextCursor: string | null;
  total: number;
}

/** Every page of `query` at `limit`, following nextCursor; the ids in order and the totals seen. */
async function walk(cookie: string, query: string, limit: number): Promise<{ ids: string[]; pages: number; totals: number[] }> {
  const ids: string[] = [];
  const totals: number[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const q: string = `${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const r = await h.req("GET", `/api/v1/devices?${q}`, { cookie });
    expect(r.status).toBe(200);
    const page = bodyOf<Page>(r);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    ids.push(...page.items.map((d) => d.id));
    totals.push(page.total);
    cursor = page.nextCursor;
    pages++;
  } while (cursor !== null && pages < 100);
  return { ids, pages, totals };
}

describe("GET /api/v1/devices in pages (limit, cursor, total)", () => {
  beforeEach(async () => {
    // 23 devices over V1, C1 and V2; some share a name (in different areas), which the id then orders.
    for (let i = 0; i < 23; i++) await h.addDevice(`dev_p${String(i).padStart(2, "0")}`, ["V1", "C1", "V2"][i % 3] ?? "V1");
    await h.catalog.update((d) => {
      for (const dev of d.devices) if (Number(dev.id.slice(5)) % 4 === 0) dev.name = "Loa chung";
      const renamed = d.devices.find((x) => x.id === "dev_p01");
      if (renamed) renamed.name = "Đài đầu làng"; // Vietnamese order: Đ after D, before L
    });
    for (let i = 0; i < 23; i += 2) h.live.healths.set(`dev_p${String(i).padStart(2, "0")}`, { online: true, lastSeen: 0, telemetry: null, faults: [] });
  });

  it("a walk at any limit returns every device exactly once, in name-then-id order, with the same total", async () => {
    const cookie = await h.login("root");
    const all = bodyOf<Page>(await h.req("GET", "/api/v1/devices?limit=1000", { cookie }));
    expect(all.items).toHaveLength(23);
    expect(all).toMatchObject({ nextCursor: null, total: 23 });
    const shared = all.items.filter((d) => d.name === "Loa chung").map((d) => d.id);
    expect(shared).toEqual(["dev_p00", "dev_p04", "dev_p08", "dev_p12", "dev_p16", "dev_p20"]);
    expect(all.items[0]?.name).toBe("Đài đầu làng");
    for (const limit of [1, 4, 7, 22, 23]) {
      const w = await walk(cookie, "", limit);
      expect(w.ids).toEqual(all.items.map((d) => d.id));
      expect(w.pages).toBe(Math.ceil(23 / limit));
      expect(new Set(w.totals)).toEqual(new Set([23]));
    }
    const first = bodyOf<Page>(await h.req("GET", "/api/v1/devices", { cookie }));
    expect(first.items).toHaveLength(23); // default limit 100
  });

  it("filters hold across pages: area subtree, state, both; total counts the filtered devices", async () => {
    const cookie = await h.login("c1op");
    const full = async (q: string) => bodyOf<Page>(await h.req("GET", `/api/v1/devices?${q}&limit=1000`, { cookie }));
    for (const q of ["areaId=V1", "state=online", "state=offline&areaId=C1", ""]) {
      const want = await full(q);
      const w = await walk(cookie, q, 3);
      expect(w.ids).toEqual(want.items.map((d) => d.id));
      expect(w.totals.every((t) => t === want.total)).toBe(true);
    }
    const v1 = await full("areaId=V1");
    expect(v1.total).toBe(8); // dev_p00, p03, … p21
    expect((await full("state=online")).items.every((d) => d.state === "online")).toBe(true);
    expect((await full("")).items.some((d) => d.id === "dev_p02")).toBe(false); // V2 is outside C1
  });

  it("a cursor still works when the device it ends on was deleted meanwhile", async () => {
    const cookie = await h.login("root");
    const page1 = bodyOf<Page>(await h.req("GET", "/api/v1/devices?limit=5", { cookie }));
    const last = page1.items[4];
    expect(last).toBeDefined();
    await h.catalog.update((d) => {
      d.devices = d.devices.filter((x) => x.id !== last?.id);
    });
    const page2 = bodyOf<Page>(await h.req("GET", `/api/v1/devices?limit=100&cursor=${encodeURIComponent(page1.nextCursor ?? "")}`, { cookie }));
    expect(page2.items.map((d) => d.id)).toEqual(bodyOf<Page>(await h.req("GET", "/api/v1/devices?limit=1000", { cookie })).items.slice(4).map((d) => d.id));
    expect(page2.total).toBe(22);
  });

  it("a cursor still works when the device it ends on was renamed meanwhile: every device listed exactly once", async () => {
    const cookie = await h.login("root");
    const allIds = bodyOf<Page>(await h.req("GET", "/api/v1/devices?limit=1000", { cookie })).items.map((d) => d.id).sort();
    /** Page one (5), rename its last device, then the rest of the walk from page one's cursor. */
    const walkRenaming = async (newName: string): Promise<{ renamed: string; ids: string[] }> => {
      const page1 = bodyOf<Page>(await h.req("GET", "/api/v1/devices?limit=5", { cookie }));
      const renamed = page1.items[4]?.id ?? "";
      await h.catalog.update((d) => {
        const dev = d.devices.find((x) => x.id === renamed);
        if (dev) dev.name = newName;
      });
      const ids = page1.items.map((d) => d.id);
      let cursor = page1.nextCursor;
      for (let pages = 0; cursor !== null && pages < 10; pages++) {
        const page = bodyOf<Page>(await h.req("GET", `/api/v1/devices?limit=5&cursor=${encodeURIComponent(cursor)}`, { cookie }));
        ids.push(...page.items.map((d) => d.id));
        cursor = page.nextCursor;
      }
      return { renamed, ids };
    };
    // Renamed to sort before the cursor (Vietnamese order: "Ao" before "Đài" and "Loa"): seen on page one only.
    const back = await walkRenaming("Ao làng");
    expect(back.renamed).not.toBe("");
    expect([...back.ids].sort()).toEqual(allIds);
    // Renamed to sort after the cursor: the walk goes on from the old key, so no other device is skipped or
    // repeated; the renamed one shows again at its new place (keyset paging lists what is there now).
    const forward = await walkRenaming("Xóm cuối");
    const others = forward.ids.filter((id) => id !== forward.renamed);
    expect([...others].sort()).toEqual(allIds.filter((id) => id !== forward.renamed));
    expect(forward.ids.filter((id) => id === forward.renamed).length).toBeGreaterThanOrEqual(1);
  });

  it("a cursor not made by the server, or a limit outside 1–1000, is 422", async () => {
    const cookie = await h.login("root");
    for (const q of ["cursor=not-a-cursor", `cursor=${Buffer.from("[1,2]").toString("base64url")}`, "cursor=", "limit=0", "limit=1001", "limit=abc"]) {
      const r = await h.req("GET", `/api/v1/devices?${q}`, { cookie });
      expect({ q, status: r.status }).toEqual({ q, status: 422 });
      expect(r.json).toMatchObject({ code: "invalid_query" });
    }
  });
});

describe("PATCH/DELETE /api/v1/devices/:id and token rotation", () => {
  beforeEach(async () => {
    await h.addDevice("dev_a", "V1");
    await h.addDevice("dev_c2", "V2");
  });

  it("renames and moves within the subtree; 403 to move outside, 403 for staff, 422 empty", async () => {
    const cookie = await h.login("c1op");
    const r = await h.req("PATCH", "/api/v1/devices/dev_a", { cookie, body: { name: "Loa đình", areaId: "C1" } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id: "dev_a", name: "Loa đình", areaId: "C1" });
    expect((await h.req("PATCH", "/api/v1/devices/dev_a", { cookie, body: { areaId: "V2" } })).status).toBe(403);
    expect((await h.req("PATCH", "/api/v1/devices/dev_c2", { cookie, body: { name: "X" } })).status).toBe(403);
    expect((await h.req("PATCH", "/api/v1/devices/dev_a", { cookie: await h.login("c1staff"), body: { name: "X" } })).status).toBe(403);
    expect((await h.req("PATCH", "/api/v1/devices/dev_a", { cookie, body: {} })).status).toBe(422);
    expect((await h.req("PATCH", "/api/v1/devices/dev_a", { cookie, body: { tokenHash: "00" } })).status).toBe(422);
    expect((await h.req("PATCH", "/api/v1/devices/dev_a", { body: { name: "X" } })).status).toBe(401);
    expect(await readAudit(h.journal, (e) => e.action === "device.update")).toHaveLength(1);
  });

  it("rotating the token: the old one stops matching, the new one matches, the live session is revoked", async () => {
    const { token: old } = await h.addDevice("dev_r", "V1");
    const before = h.catalog.data().devices.find((d) => d.id === "dev_r");
    expect(before && verifyDeviceToken(before, old)).toBe(true);
    const r = await h.req("POST", "/api/v1/devices/dev_r/token", { cookie: await h.login("c1op") });
    expect(r.status).toBe(200);
    const { token, edgeConfig } = bodyOf<{ token: string; edgeConfig: { token: string; deviceId: string } }>(r);
    expect(edgeConfig).toMatchObject({ token, deviceId: "dev_r" });
    const after = h.catalog.data().devices.find((d) => d.id === "dev_r");
    expect(after && verifyDeviceToken(after, old)).toBe(false);
    expect(after && verifyDeviceToken(after, token)).toBe(true);
    expect(verifyMosquittoHash(after?.mqttHash ?? "", token)).toBe(true);
    expect(r.text).not.toContain("mqttHash");
    expect(h.live.revoked).toEqual(["dev_r"]);
    expect(await readAudit(h.journal, (e) => e.action === "device.token_rotate")).toHaveLength(1);
  });

  it("rotation: 403 in another commune and for staff, 401 anonymous", async () => {
    expect((await h.req("POST", "/api/v1/devices/dev_c2/token", { cookie: await h.login("c1op") })).status).toBe(403);
    expect((await h.req("POST", "/api/v1/devices/dev_a/token", { cookie: await h.login("c1staff") })).status).toBe(403);
    expect((await h.req("POST", "/api/v1/devices/dev_a/token")).status).toBe(401);
    expect(h.live.revoked).toEqual([]);
  });

  it("DELETE removes the device and revokes its session; 403 outside, 404 unknown, 401 anonymous", async () => {
    const cookie = await h.login("c1admin");
    expect((await h.req("DELETE", "/api/v1/devices/dev_c2", { cookie })).status).toBe(403);
    expect((await h.req("DELETE", "/api/v1/devices/dev_a")).status).toBe(401);
    expect((await h.req("DELETE", "/api/v1/devices/dev_a", { cookie: await h.login("c1staff") })).status).toBe(403);
    expect((await h.req("DELETE", "/api/v1/devices/dev_a", { cookie })).status).toBe(204);
    expect(h.catalog.data().devices.map((d) => d.id)).toEqual(["dev_c2"]);
    expect(h.live.revoked).toEqual(["dev_a"]);
    expect((await h.req("DELETE", "/api/v1/devices/dev_a", { cookie })).status).toBe(404);
    expect(await readAudit(h.journal, (e) => e.action === "device.delete")).toHaveLength(1);
  });
});
