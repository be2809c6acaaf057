import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readAudit } from "../core/audit.js";
import { bodyOf, startHarness, type Harness } from "./harness.fixture.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const ids = (r: { json: unknown }) => bodyOf<{ items: Array<{ id: string }> }>(r).items.map((a) => a.id);

describe("GET /api/v1/areas", () => {
  it("lists only the caller's subtree, top-down", async () => {
    // Kind first, then name in Vietnamese order (Hai before Một).
    expect(ids(await h.req("GET", "/api/v1/areas", { cookie: await h.login("root") }))).toEqual(["P", "D", "C2", "C1", "V2", "V1"]);
    expect(ids(await h.req("GET", "/api/v1/areas", { cookie: await h.login("c1staff") }))).toEqual(["C1", "V1"]);
    expect((await h.req("GET", "/api/v1/areas")).status).toBe(401);
  });
});

describe("POST /api/v1/areas", () => {
  it("creates a village under the admin's commune and audits it", async () => {
    const cookie = await h.login("c1admin");
    const r = await h.req("POST", "/api/v1/areas", { cookie, body: { name: "Thôn Ba", parentId: "C1", kind: "village", quietHours: { start: "22:00", end: "05:00" } } });
    expect(r.status).toBe(201);
    const area = bodyOf<{ id: string }>(r);
    expect(r.json).toMatchObject({ name: "Thôn Ba", parentId: "C1", kind: "village", quietHours: { start: "22:00", end: "05:00" } });
    expect(h.catalog.data().areas.find((a) => a.id === area.id)?.name).toBe("Thôn Ba");
    const audit = await readAudit(h.journal, (e) => e.action === "area.create");
    expect(audit).toMatchObject([{ who: { username: "c1admin", via: "session" }, target: { type: "area", id: area.id } }]);
  });

  it("enforces province > district > commune > village (levels may be skipped downwards)", async () => {
    const cookie = await h.login("root");
    const up = await h.req("POST", "/api/v1/areas", { cookie, body: { name: "X", parentId: "V1", kind: "village" } });
    expect(up.status).toBe(422);
    expect(up.json).toMatchObject({ code: "invalid_request", detail: expect.stringContaining("province > district > commune > village") });
    expect((await h.req("POST", "/api/v1/areas", { cookie, body: { name: "X", parentId: "C1", kind: "district" } })).status).toBe(422);
    expect((await h.req("POST", "/api/v1/areas", { cookie, body: { name: "Xã Ba", parentId: "P", kind: "commune" } })).status).toBe(201);
    const unknownParent = await h.req("POST", "/api/v1/areas", { cookie, body: { name: "X", parentId: "nope", kind: "village" } });
    expect(unknownParent.status).toBe(422);
  });

  it("answers 403 outside the subtree and for non-admin roles", async () => {
    const outside = await h.req("POST", "/api/v1/areas", { cookie: await h.login("c1admin"), body: { name: "X", parentId: "C2", kind: "village" } });
    expect(outside.status).toBe(403);
    expect(outside.json).toMatchObject({ code: "forbidden", detail: "area C2 is outside your area" });
    const staff = await h.req("POST", "/api/v1/areas", { cookie: await h.login("c1staff"), body: { name: "X", parentId: "C1", kind: "village" } });
    expect(staff.status).toBe(403);
    expect(staff.json).toMatchObject({ detail: expect.stringContaining("staff role may not") });
    expect(h.catalog.data().areas).toHaveLength(6);
  });

  it("refuses a duplicate sibling name (409) and invalid bodies (422 with JSON paths)", async () => {
    const cookie = await h.login("root");
    const dup = await h.req("POST", "/api/v1/areas", { cookie, body: { name: "thôn một", parentId: "C1", kind: "village" } });
    expect(dup.status).toBe(409);
    const bad = await h.req("POST", "/api/v1/areas", { cookie, body: { name: "", parentId: "C1", kind: "hamlet", quietHours: { start: "25:00", end: "05:00" } } });
    expect(bad.status).toBe(422);
    expect(bodyOf<{ errors: Array<{ path: string }> }>(bad).errors.map((e) => e.path)).toEqual(["$.name", "$.kind", "$.quietHours.start"]);
    expect((await h.req("POST", "/api/v1/areas", { body: { name: "X", parentId: "C1", kind: "village" } })).status).toBe(401);
  });
});

describe("GET/PATCH/DELETE /api/v1/areas/:id", () => {
  it("reads an area in scope; another commune's is 404, not 403", async () => {
    const cookie = await h.login("c1staff");
    const mine = await h.req("GET", "/api/v1/areas/V1", { cookie });
    expect(mine.status).toBe(200);
    expect(mine.json).toEqual({ id: "V1", name: "Thôn Một", parentId: "C1", kind: "village" });
    const other = await h.req("GET", "/api/v1/areas/V2", { cookie });
    expect(other.status).toBe(404);
    expect(other.json).toMatchObject({ detail: "area V2 not found" });
    expect((await h.req("GET", "/api/v1/areas/V1")).status).toBe(401);
  });

  it("sets and clears quiet hours and renames; audits the changed fields", async () => {
    const cookie = await h.login("c1admin");
    const set = await h.req("PATCH", "/api/v1/areas/V1", { cookie, body: { quietHours: { start: "21:30", end: "05:30" }, name: "Thôn 1" } });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({ name: "Thôn 1", quietHours: { start: "21:30", end: "05:30" } });
    const cleared = await h.req("PATCH", "/api/v1/areas/V1", { cookie, body: { quietHours: null } });
    expect(bodyOf<{ quietHours: unknown }>(cleared).quietHours).toBeNull();
    expect(h.catalog.data().areas.find((a) => a.id === "V1")?.quietHours).toBeNull();
    const audit = await readAudit(h.journal, (e) => e.action === "area.update");
    expect(audit.map((e) => e.details?.fields)).toEqual([["name", "quietHours"], ["quietHours"]]);
  });

  it("PATCH: 403 outside the subtree or without the role, 422 on bad or empty bodies, 404 unknown", async () => {
    expect((await h.req("PATCH", "/api/v1/areas/V2", { cookie: await h.login("c1admin"), body: { name: "X" } })).status).toBe(403);
    expect((await h.req("PATCH", "/api/v1/areas/V1", { cookie: await h.login("c1op"), body: { name: "X" } })).status).toBe(403);
    const cookie = await h.login("c1admin");
    const empty = await h.req("PATCH", "/api/v1/areas/V1", { cookie, body: {} });
    expect(empty.status).toBe(422);
    expect(empty.json).toMatchObject({ detail: expect.stringContaining("nothing to change") });
    const extra = await h.req("PATCH", "/api/v1/areas/V1", { cookie, body: { kind: "commune" } });
    expect(extra.status).toBe(422);
    const tz = await h.req("PATCH", "/api/v1/areas/V1", { cookie, body: { tz: "Mars/Olympus" } });
    expect(tz.status).toBe(422);
    expect(tz.json).toMatchObject({ errors: [{ path: "$.tz" }] });
    expect((await h.req("PATCH", "/api/v1/areas/nope", { cookie, body: { name: "X" } })).status).toBe(404);
    expect((await h.req("PATCH", "/api/v1/areas/V1", { body: { name: "X" } })).status).toBe(401);
  });

  it("DELETE refuses an area with children or devices (409, saying what is left) and deletes an empty one", async () => {
    const cookie = await h.login("c1admin");
    const withChild = await h.req("DELETE", "/api/v1/areas/C1", { cookie });
    expect(withChild.status).toBe(409);
    expect(withChild.json).toMatchObject({ detail: expect.stringContaining("1 child area(s)") });
    await h.addDevice("dev_a", "V1");
    const withDevice = await h.req("DELETE", "/api/v1/areas/V1", { cookie });
    expect(withDevice.status).toBe(409);
    expect(withDevice.json).toMatchObject({ detail: expect.stringContaining("1 device(s)") });
    const created = bodyOf<{ id: string }>(await h.req("POST", "/api/v1/areas", { cookie, body: { name: "Thôn Tạm", parentId: "C1", kind: "village" } }));
    expect((await h.req("DELETE", `/api/v1/areas/${created.id}`, { cookie })).status).toBe(204);
    expect(h.catalog.data().areas.some((a) => a.id === created.id)).toBe(false);
    expect(await readAudit(h.journal, (e) => e.action === "area.delete")).toHaveLength(1);
  });

  it("DELETE: 403 outside the subtree and for staff, 401 anonymous", async () => {
    expect((await h.req("DELETE", "/api/v1/areas/V2", { cookie: await h.login("c1admin") })).status).toBe(403);
    expect((await h.req("DELETE", "/api/v1/areas/V1", { cookie: await h.login("c1staff") })).status).toBe(403);
    expect((await h.req("DELETE", "/api/v1/areas/V1")).status).toBe(401);
    expect(h.catalog.data().areas).toHaveLength(6);
  });
});
