/**
 * What every route of the core app shares (ARCHITECTURE §7), on the in-memory harness: body validation,
 * malformed requests, headers, health and error mapping. The same rules on the full cloud (startCloud: every
 * route module) are in cross-cutting.integration.test.ts, which runs in the serial group.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LoaError } from "@loa/shared";
import { statusOfCode } from "./problem.js";
import { startHarness, type Harness } from "./harness.fixture.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const concrete = (path: string) => path.replace(/:\w+/g, "x");

describe("every route", () => {
  it("answers 422 naming the field for an unexpected field in a JSON body, before looking anything up", async () => {
    const cookie = await h.login("root");
    const withBody = h.routes.filter((r) => r.body);
    expect(withBody.length).toBeGreaterThan(8);
    for (const r of withBody) {
      const res = await h.req(r.method.toUpperCase(), concrete(r.path), { cookie, body: { __unexpected: 1 } });
      expect([`${r.method} ${r.path}`, res.status]).toEqual([`${r.method} ${r.path}`, 422]);
      const errors = (res.json as { errors?: Array<{ path: string; message: string }> }).errors ?? [];
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((e) => e.path.startsWith("$") && e.message.length > 0)).toBe(true);
    }
    expect(h.catalog.data().areas).toHaveLength(6);
  });
});

describe("malformed requests", () => {
  it("400 for malformed JSON, as problem+json with a human message", async () => {
    const r = await h.req("POST", "/api/v1/auth/login", { rawBody: '{"username": "root",' });
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(r.json).toMatchObject({ type: "urn:loa:problem:invalid_json", title: "Bad Request", status: 400, code: "invalid_json", detail: expect.stringContaining("not valid JSON") });
  });

  it("413 for a JSON body over 256 kB", async () => {
    const r = await h.req("POST", "/api/v1/auth/login", { body: { username: "root", password: "x".repeat(300 * 1024) } });
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ code: "payload_too_large" });
  });

  it("415 for a body that is not JSON", async () => {
    const r = await h.req("POST", "/api/v1/auth/login", { rawBody: "username=root", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(r.status).toBe(415);
    expect(r.json).toMatchObject({ detail: expect.stringContaining("application/json") });
  });

  it("accepts JSON media types with a +json suffix (merge-patch)", async () => {
    const cookie = await h.login("c1admin");
    const r = await h.req("PATCH", "/api/v1/areas/V1", { cookie, body: { name: "Thôn 1" }, headers: { "content-type": "application/merge-patch+json" } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ name: "Thôn 1" });
  });

  it("404 problem for an unknown route, 405 with Allow for a known path with another method", async () => {
    const unknown = await h.req("GET", "/api/v1/nothing-here");
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ code: "route_not_found", detail: "no such route: GET /api/v1/nothing-here" });
    const wrong = await h.req("PUT", "/api/v1/areas/V1");
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, PATCH, DELETE, HEAD");
  });
});

describe("headers and health", () => {
  it("sets the security headers on API replies, problems and 404s", async () => {
    for (const path of ["/healthz", "/api/v1/me", "/nowhere"]) {
      const r = await h.req("GET", path);
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
      expect(r.headers.get("x-frame-options")).toBe("DENY");
      expect(r.headers.get("referrer-policy")).toBe("no-referrer");
      expect(r.headers.get("content-security-policy")).toContain("default-src 'self'");
      expect(r.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(r.headers.get("x-powered-by")).toBeNull();
    }
    expect((await h.req("GET", "/api/v1/me")).headers.get("cache-control")).toBe("no-store");
  });

  it("GET /healthz answers without a login", async () => {
    const r = await h.req("GET", "/healthz");
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ ok: true, time: Date.UTC(2026, 0, 1, 8) });
  });
});

describe("errors", () => {
  it("maps codes to statuses in one table, with suffix rules for other parts' codes", () => {
    expect(statusOfCode("not_found")).toBe(404);
    expect(statusOfCode("bulletin_not_found")).toBe(404);
    expect(statusOfCode("too_big")).toBe(413);
    expect(statusOfCode("not_audio")).toBe(415);
    expect(statusOfCode("something_else")).toBe(500);
  });

  it("hides the details of unexpected errors (500) and passes LoaErrors' messages through", async () => {
    const broken = await startHarness({
      routes: [
        (api) => {
          api.add({ method: "get", path: "/api/v1/boom", summary: "t", tag: "t", auth: "public", responses: {}, handler: () => { throw new Error("secret internals"); } });
          api.add({ method: "get", path: "/api/v1/gone", summary: "t", tag: "t", auth: "public", responses: {}, handler: () => { throw new LoaError("bulletin_not_found", "bulletin b1 not found"); } });
          api.add({ method: "get", path: "/api/v1/lies", summary: "t", tag: "t", auth: "public", responses: { 200: { description: "x", schema: undefined } }, handler: () => ({ status: 200, body: { surprise: true } }) });
        },
      ],
    });
    const boom = await broken.req("GET", "/api/v1/boom");
    const gone = await broken.req("GET", "/api/v1/gone");
    const lies = await broken.req("GET", "/api/v1/lies");
    await broken.close();
    expect(boom.status).toBe(500);
    expect(boom.text).not.toContain("secret internals");
    expect(boom.json).toMatchObject({ code: "internal" });
    expect(gone.status).toBe(404);
    expect(gone.json).toMatchObject({ code: "bulletin_not_found", detail: "bulletin b1 not found" });
    // With validateResponses on (tests), a reply that contradicts its documentation fails loudly.
    expect(lies.status).toBe(500);
  });
});
