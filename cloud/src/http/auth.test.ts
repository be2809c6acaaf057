import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readAudit } from "../core/audit.js";
import { bodyOf, cookieOf, PASSWORD, startHarness, type Harness } from "./harness.fixture.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe("POST /api/v1/auth/login", () => {
  it("sets an HttpOnly SameSite=Strict session cookie on Path=/ and returns the user without its hash", async () => {
    const r = await h.req("POST", "/api/v1/auth/login", { body: { username: "c1staff", password: PASSWORD } });
    expect(r.status).toBe(200);
    const setCookie = r.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^loa_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    expect(setCookie).toContain("Path=/");
    expect(setCookie).not.toContain("Secure"); // plain http on loopback
    expect(r.json).toMatchObject({ user: { id: "u_c1staff", username: "c1staff", role: "staff", areaId: "C1" }, via: "session" });
    expect(bodyOf<{ permissions: string[] }>(r).permissions).toContain("broadcasts.write");
    expect(bodyOf<{ permissions: string[] }>(r).permissions).not.toContain("devices.command");
    expect(r.text).not.toContain("passwordHash");
    expect(r.text).not.toContain("scrypt$");
  });

  it("answers 401 with one message for a wrong password and an unknown user, and audits the failure", async () => {
    const wrong = await h.req("POST", "/api/v1/auth/login", { body: { username: "c1staff", password: "nope-nope" } });
    const unknown = await h.req("POST", "/api/v1/auth/login", { body: { username: "ghost", password: PASSWORD } });
    for (const r of [wrong, unknown]) {
      expect(r.status).toBe(401);
      expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(r.json).toMatchObject({ status: 401, code: "unauthenticated", detail: "wrong username or password" });
      expect(r.headers.get("set-cookie")).toBeNull();
    }
    const failures = await readAudit(h.journal, (e) => e.action === "auth.login_failed");
    expect(failures.map((e) => e.who.username)).toEqual(["c1staff", "ghost"]);
  });

  it("rejects a body without fields with 422 naming each missing field", async () => {
    const r = await h.req("POST", "/api/v1/auth/login", { body: {} });
    expect(r.status).toBe(422);
    const paths = bodyOf<{ errors: Array<{ path: string }> }>(r).errors.map((e) => e.path);
    expect(paths).toEqual(["$.username", "$.password"]);
  });

  it("rate-limits 5 failures per username+IP for 5 minutes (429 with Retry-After), on the injected clock", async () => {
    for (let i = 0; i < 5; i++) {
      const r = await h.req("POST", "/api/v1/auth/login", { body: { username: "c1op", password: `wrong-${i}-xx` } });
      expect(r.status).toBe(401);
      await h.clock.advance(10_000);
    }
    // Locked: even the right password is refused without being checked.
    const locked = await h.req("POST", "/api/v1/auth/login", { body: { username: "c1op", password: PASSWORD } });
    expect(locked.status).toBe(429);
    expect(locked.json).toMatchObject({ code: "rate_limited" });
    // The first failure was 50 s ago; it leaves the 5-minute window in 250 s.
    expect(locked.headers.get("retry-after")).toBe("250");
    // Another user from the same address is not affected.
    expect((await h.req("POST", "/api/v1/auth/login", { body: { username: "c1staff", password: PASSWORD } })).status).toBe(200);
    await h.clock.advance(250_000);
    expect((await h.req("POST", "/api/v1/auth/login", { body: { username: "c1op", password: PASSWORD } })).status).toBe(200);
  });

  it("refuses a disabled account", async () => {
    await h.catalog.update((d) => {
      const u = d.users.find((x) => x.username === "c1op");
      if (u) u.disabled = true;
    });
    const r = await h.req("POST", "/api/v1/auth/login", { body: { username: "c1op", password: PASSWORD } });
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ detail: expect.stringContaining("disabled") });
  });
});

describe("sessions", () => {
  it("GET /api/v1/me needs a login (401) and shows the caller with it", async () => {
    const anon = await h.req("GET", "/api/v1/me");
    expect(anon.status).toBe(401);
    expect(anon.json).toMatchObject({ code: "unauthenticated", type: "urn:loa:problem:unauthenticated", title: "Unauthorized" });
    const cookie = await h.login("c2op");
    const me = await h.req("GET", "/api/v1/me", { cookie });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ user: { username: "c2op", role: "operator" }, via: "session" });
  });

  it("logout ends the session server-side and clears the cookie", async () => {
    const cookie = await h.login("c1staff");
    const out = await h.req("POST", "/api/v1/auth/logout", { cookie });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/^loa_session=;.*Expires=Thu, 01 Jan 1970/);
    const after = await h.req("GET", "/api/v1/me", { cookie });
    expect(after.status).toBe(401);
    expect(after.json).toMatchObject({ detail: expect.stringContaining("expired") });
    const audit = await readAudit(h.journal, (e) => e.action === "auth.logout");
    expect(audit).toHaveLength(1);
  });

  it("stores only the sha256 of the cookie, in the catalogue, so sessions survive a restart", async () => {
    const cookie = await h.login("c1staff");
    const value = cookie.split("=")[1] ?? "";
    expect(JSON.stringify(h.catalog.data())).not.toContain(value);
    // Restart: a new app over the same data directory accepts the cookie.
    const dataDir = h.dataDir;
    await h.close({ keepData: true });
    h = await startHarness({ dataDir });
    const me = await h.req("GET", "/api/v1/me", { cookie });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ user: { username: "c1staff" } });
    const { rm } = await import("node:fs/promises");
    await h.close();
    await rm(dataDir, { recursive: true, force: true });
    h = await startHarness();
  });

  it("expires after the TTL and slides when used in its second half", async () => {
    const cookie = await h.login("c1staff");
    const day = 24 * 3600_000;
    await h.clock.advance(4 * day); // past half of 7 days: this use extends it
    const used = await h.req("GET", "/api/v1/me", { cookie });
    expect(used.status).toBe(200);
    expect(used.headers.get("set-cookie")).toContain("loa_session=");
    await h.clock.advance(6 * day); // 10 days after login, 6 after the last use
    expect((await h.req("GET", "/api/v1/me", { cookie })).status).toBe(200);
    await h.clock.advance(8 * day);
    expect((await h.req("GET", "/api/v1/me", { cookie })).status).toBe(401);
  });

  it("marks the cookie Secure when configured for https", async () => {
    const secure = await startHarness({ config: { cookieSecure: true } });
    const r = await secure.req("POST", "/api/v1/auth/login", { body: { username: "c1staff", password: PASSWORD } });
    await secure.close();
    expect(r.headers.get("set-cookie")).toContain("Secure");
  });

  it("refuses a cookie-authenticated change from another origin", async () => {
    const cookie = await h.login("c1admin");
    const body = { name: "Thôn Mới", parentId: "C1", kind: "village" };
    const cross = await h.req("POST", "/api/v1/areas", { cookie, body, headers: { origin: "https://evil.example" } });
    expect(cross.status).toBe(403);
    expect(cross.json).toMatchObject({ detail: expect.stringContaining("cross-origin") });
    const same = await h.req("POST", "/api/v1/areas", { cookie, body, headers: { origin: h.url } });
    expect(same.status).toBe(201);
  });
});

describe("POST /api/v1/me/password", () => {
  it("changes the password, keeps this session and ends the others", async () => {
    const a = await h.login("c1staff");
    const b = await h.login("c1staff");
    const r = await h.req("POST", "/api/v1/me/password", { cookie: a, body: { currentPassword: PASSWORD, newPassword: "a brand new one" } });
    expect(r.status).toBe(204);
    expect((await h.req("GET", "/api/v1/me", { cookie: a })).status).toBe(200);
    expect((await h.req("GET", "/api/v1/me", { cookie: b })).status).toBe(401);
    const login = await h.req("POST", "/api/v1/auth/login", { body: { username: "c1staff", password: "a brand new one" } });
    expect(login.status).toBe(200);
    expect(cookieOf(login)).toMatch(/^loa_session=/);
  });

  it("refuses a wrong current password (403), a short new one (422) and anonymous callers (401)", async () => {
    const cookie = await h.login("c1staff");
    const wrong = await h.req("POST", "/api/v1/me/password", { cookie, body: { currentPassword: "not it at all", newPassword: "a brand new one" } });
    expect(wrong.status).toBe(403);
    const short = await h.req("POST", "/api/v1/me/password", { cookie, body: { currentPassword: PASSWORD, newPassword: "short" } });
    expect(short.status).toBe(422);
    expect(short.json).toMatchObject({ errors: [{ path: "$.newPassword", message: expect.stringContaining("at least 8") }] });
    const anon = await h.req("POST", "/api/v1/me/password", { body: { currentPassword: PASSWORD, newPassword: "a brand new one" } });
    expect(anon.status).toBe(401);
  });
});
