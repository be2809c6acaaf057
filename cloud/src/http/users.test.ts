import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readAudit } from "../core/audit.js";
import { bodyOf, PASSWORD, startHarness, type Harness } from "./harness.fixture.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const newUser = { username: "c1new", password: "long enough pw", role: "staff", areaId: "V1", displayName: "Chị Lan" };

describe("GET /api/v1/users", () => {
  it("lists the users of the admin's subtree, never a password hash", async () => {
    const r = await h.req("GET", "/api/v1/users", { cookie: await h.login("c1admin") });
    expect(r.status).toBe(200);
    expect(bodyOf<{ items: Array<{ username: string }> }>(r).items.map((u) => u.username)).toEqual(["c1admin", "c1op", "c1staff"]);
    expect(r.text).not.toContain("passwordHash");
    expect(r.text).not.toContain("scrypt");
    const all = await h.req("GET", "/api/v1/users", { cookie: await h.login("root") });
    expect(bodyOf<{ items: unknown[] }>(all).items).toHaveLength(7);
  });

  it("is admin-only (403) and needs a login (401)", async () => {
    expect((await h.req("GET", "/api/v1/users", { cookie: await h.login("c1staff") })).status).toBe(403);
    expect((await h.req("GET", "/api/v1/users", { cookie: await h.login("c1op") })).status).toBe(403);
    expect((await h.req("GET", "/api/v1/users")).status).toBe(401);
  });

  it("GET /users/:id: in scope 200, another commune 404", async () => {
    const cookie = await h.login("c1admin");
    const mine = await h.req("GET", "/api/v1/users/u_c1op", { cookie });
    expect(mine.json).toMatchObject({ id: "u_c1op", username: "c1op", role: "operator" });
    expect(mine.text).not.toContain("passwordHash");
    expect((await h.req("GET", "/api/v1/users/u_c2op", { cookie })).status).toBe(404);
    expect((await h.req("GET", "/api/v1/users/u_c1op")).status).toBe(401);
  });
});

describe("POST /api/v1/users", () => {
  it("creates a user who can log in; the reply and the audit carry no password", async () => {
    const r = await h.req("POST", "/api/v1/users", { cookie: await h.login("c1admin"), body: newUser });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ username: "c1new", role: "staff", areaId: "V1", displayName: "Chị Lan" });
    expect(r.text).not.toContain("long enough pw");
    expect(r.text).not.toContain("passwordHash");
    const stored = h.catalog.data().users.find((u) => u.username === "c1new");
    expect(stored?.passwordHash).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]{43}$/);
    const login = await h.req("POST", "/api/v1/auth/login", { body: { username: "c1new", password: "long enough pw" } });
    expect(login.status).toBe(200);
    const audit = await readAudit(h.journal, (e) => e.action === "user.create");
    expect(audit).toMatchObject([{ who: { username: "c1admin" }, target: { type: "user", id: stored?.id } }]);
    expect(JSON.stringify(audit)).not.toContain("long enough pw");
  });

  it("refuses a taken username (409), an area outside the subtree (403), non-admins (403)", async () => {
    const cookie = await h.login("c1admin");
    const dup = await h.req("POST", "/api/v1/users", { cookie, body: { ...newUser, username: "c2op" } });
    expect(dup.status).toBe(409);
    expect(dup.json).toMatchObject({ detail: 'the username "c2op" is already taken' });
    const outside = await h.req("POST", "/api/v1/users", { cookie, body: { ...newUser, areaId: "V2" } });
    expect(outside.status).toBe(403);
    const up = await h.req("POST", "/api/v1/users", { cookie, body: { ...newUser, areaId: "P" } });
    expect(up.status).toBe(403);
    const staff = await h.req("POST", "/api/v1/users", { cookie: await h.login("c1staff"), body: newUser });
    expect(staff.status).toBe(403);
    expect(h.catalog.data().users).toHaveLength(7);
  });

  it("validates the body: 422 with every bad field, 401 anonymous", async () => {
    const cookie = await h.login("c1admin");
    const bad = await h.req("POST", "/api/v1/users", { cookie, body: { username: "Bad Name", password: "short", role: "king", areaId: "V1" } });
    expect(bad.status).toBe(422);
    expect(bodyOf<{ errors: Array<{ path: string }> }>(bad).errors.map((e) => e.path)).toEqual(["$.username", "$.password", "$.role"]);
    expect((await h.req("POST", "/api/v1/users", { body: newUser })).status).toBe(401);
  });
});

describe("PATCH/DELETE /api/v1/users/:id", () => {
  it("changes role and password; a new password ends the user's sessions", async () => {
    const admin = await h.login("c1admin");
    const victim = await h.login("c1staff");
    const r = await h.req("PATCH", "/api/v1/users/u_c1staff", { cookie: admin, body: { role: "operator", password: "reset by admin" } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ role: "operator" });
    expect(r.text).not.toContain("reset by admin");
    expect((await h.req("GET", "/api/v1/me", { cookie: victim })).status).toBe(401);
    expect((await h.req("POST", "/api/v1/auth/login", { body: { username: "c1staff", password: PASSWORD } })).status).toBe(401);
    expect((await h.req("POST", "/api/v1/auth/login", { body: { username: "c1staff", password: "reset by admin" } })).status).toBe(200);
    const audit = await readAudit(h.journal, (e) => e.action === "user.update");
    expect(audit[0]?.details).toEqual({ fields: ["password", "role"], role: "operator" });
  });

  it("disabling ends sessions and blocks API tokens", async () => {
    const admin = await h.login("c1admin");
    const op = await h.login("c1op");
    const { token } = bodyOf<{ token: string }>(await h.req("POST", "/api/v1/tokens", { cookie: op, body: { name: "t" } }));
    expect((await h.req("PATCH", "/api/v1/users/u_c1op", { cookie: admin, body: { disabled: true } })).status).toBe(200);
    expect((await h.req("GET", "/api/v1/me", { cookie: op })).status).toBe(401);
    const viaToken = await h.req("GET", "/api/v1/me", { bearer: token });
    expect(viaToken.status).toBe(401);
    expect(viaToken.json).toMatchObject({ detail: "this account is disabled" });
  });

  it("refuses changes outside the subtree (403), to one's own role (409), by non-admins (403), bad bodies (422)", async () => {
    const admin = await h.login("c1admin");
    expect((await h.req("PATCH", "/api/v1/users/u_c2op", { cookie: admin, body: { displayName: "X" } })).status).toBe(403);
    expect((await h.req("PATCH", "/api/v1/users/u_c1op", { cookie: admin, body: { areaId: "V2" } })).status).toBe(403);
    const self = await h.req("PATCH", "/api/v1/users/u_c1admin", { cookie: admin, body: { role: "staff" } });
    expect(self.status).toBe(409);
    expect(self.json).toMatchObject({ detail: expect.stringContaining("your own role") });
    expect((await h.req("PATCH", "/api/v1/users/u_c1admin", { cookie: admin, body: { displayName: "Anh Ba" } })).status).toBe(200);
    expect((await h.req("PATCH", "/api/v1/users/u_c1op", { cookie: await h.login("c1staff"), body: { displayName: "X" } })).status).toBe(403);
    expect((await h.req("PATCH", "/api/v1/users/u_c1op", { cookie: admin, body: { password: "x" } })).status).toBe(422);
    expect((await h.req("PATCH", "/api/v1/users/u_c1op", { cookie: admin, body: { passwordHash: "x" } })).status).toBe(422);
    expect((await h.req("PATCH", "/api/v1/users/u_c1op", { body: { displayName: "X" } })).status).toBe(401);
  });

  it("DELETE removes the user with their tokens; not oneself (409), not outside (403)", async () => {
    const admin = await h.login("c1admin");
    const op = await h.login("c1op");
    await h.req("POST", "/api/v1/tokens", { cookie: op, body: { name: "t" } });
    expect((await h.req("DELETE", "/api/v1/users/u_c1op", { cookie: admin })).status).toBe(204);
    expect(h.catalog.data().users.some((u) => u.id === "u_c1op")).toBe(false);
    expect(h.catalog.data().tokens).toEqual([]);
    expect((await h.req("GET", "/api/v1/me", { cookie: op })).status).toBe(401);
    expect((await h.req("DELETE", "/api/v1/users/u_c1admin", { cookie: admin })).status).toBe(409);
    expect((await h.req("DELETE", "/api/v1/users/u_c2op", { cookie: admin })).status).toBe(403);
    expect((await h.req("DELETE", "/api/v1/users/u_c1staff", { cookie: await h.login("c1staff") })).status).toBe(403);
    expect((await h.req("DELETE", "/api/v1/users/u_c1staff")).status).toBe(401);
    expect(await readAudit(h.journal, (e) => e.action === "user.delete")).toHaveLength(1);
  });
});
