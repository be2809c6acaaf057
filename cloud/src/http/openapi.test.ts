/**
 * GET /api/v1/openapi.json of the core app (ARCHITECTURE §7) against what express serves. The same check on
 * the full cloud (startCloud) is in openapi.integration.test.ts, which runs in the serial group.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHttpApp } from "./app.js";
import { startHarness, type Harness } from "./harness.fixture.js";
import { MemoryCatalog, MemoryJournal } from "../testing/memory-store.js";
import { FakeClock } from "@loa/shared";
import { pino } from "pino";
import { documented, expressRoutes, type OpenApiDoc as Doc } from "../../../test/support/express-routes.js";

/** `obj[k1][k2]...`, undefined when a step is missing. */
function dig(obj: unknown, ...keys: string[]): unknown {
  return keys.reduce<unknown>((o, k) => (typeof o === "object" && o !== null ? (o as Record<string, unknown>)[k] : undefined), obj);
}

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe("GET /api/v1/openapi.json", () => {
  it("documents exactly the routes express serves, and vice versa", async () => {
    const r = await h.req("GET", "/api/v1/openapi.json");
    expect(r.status).toBe(200);
    const doc = r.json as Doc;
    expect(doc.openapi).toBe("3.1.0");
    const app = createHttpApp({
      catalog: new MemoryCatalog(),
      journal: new MemoryJournal(),
      clock: new FakeClock(),
      log: pino({ level: "silent" }),
      config: { publicMqttUrl: "mqtt://x" },
    }).app;
    const served = expressRoutes(app).sort();
    expect(served.length).toBeGreaterThan(20);
    expect(documented(doc).sort()).toEqual(served);
  });

  it("keeps the contract's routes (ARCHITECTURE §7)", async () => {
    const doc = (await h.req("GET", "/api/v1/openapi.json")).json as Doc;
    const contract = [
      "POST /api/v1/auth/login", "POST /api/v1/auth/logout", "GET /api/v1/me",
      "POST /api/v1/tokens", "GET /api/v1/tokens", "DELETE /api/v1/tokens/{id}",
      "GET /api/v1/areas", "POST /api/v1/areas", "GET /api/v1/areas/{id}", "PATCH /api/v1/areas/{id}", "DELETE /api/v1/areas/{id}",
      "GET /api/v1/users", "POST /api/v1/users", "PATCH /api/v1/users/{id}", "DELETE /api/v1/users/{id}",
      "GET /api/v1/devices", "POST /api/v1/devices", "GET /api/v1/devices/{id}", "PATCH /api/v1/devices/{id}",
      "DELETE /api/v1/devices/{id}", "POST /api/v1/devices/{id}/token",
      "POST /api/v1/devices/{id}/commands", "GET /api/v1/devices/{id}/commands/{cmdId}", "GET /healthz",
    ];
    expect(documented(doc)).toEqual(expect.arrayContaining(contract));
  });

  it("derives bodies, parameters and replies from the zod schemas", async () => {
    const doc = (await h.req("GET", "/api/v1/openapi.json")).json;
    const create = ["paths", "/api/v1/devices", "post"];
    const body = dig(doc, ...create, "requestBody", "content", "application/json", "schema") as { required: string[]; properties: object };
    expect(body.required).toEqual(["name", "areaId"]);
    expect(Object.keys(body.properties)).toEqual(["name", "areaId", "profile"]);
    const created = dig(doc, ...create, "responses", "201", "content", "application/json", "schema") as { properties: object };
    expect(Object.keys(created.properties)).toEqual(["device", "token", "edgeConfig"]);
    expect(dig(doc, ...create, "responses", "422", "content")).toHaveProperty(["application/problem+json"]);
    const params = dig(doc, "paths", "/api/v1/devices", "get", "parameters") as Array<{ name: string; in: string; schema: { enum?: string[] } }>;
    expect(params.map((p) => [p.name, p.in])).toEqual([["areaId", "query"], ["state", "query"], ["cursor", "query"], ["limit", "query"]]);
    expect(params[1]?.schema.enum).toEqual(["online", "offline", "fault"]);
    const one = ["paths", "/api/v1/devices/{id}/commands/{cmdId}", "get"];
    const oneParams = dig(doc, ...one, "parameters") as Array<{ name: string; in: string }>;
    expect(oneParams.map((p) => `${p.in}:${p.name}`)).toEqual(["path:id", "path:cmdId"]);
    expect(dig(doc, ...one, "security")).toEqual([{ cookieAuth: [] }, { bearerAuth: [] }]);
    expect(dig(doc, "paths", "/api/v1/auth/login", "post", "security")).toEqual([]);
  });

  it("lists extra route modules too", async () => {
    const extra = await startHarness({
      routes: [
        (api) =>
          api.add({
            method: "get",
            path: "/api/v1/bulletins",
            summary: "test module",
            tag: "bulletins",
            responses: { 200: { description: "ok" } },
            handler: () => ({ status: 200 }),
          }),
      ],
    });
    const doc = (await extra.req("GET", "/api/v1/openapi.json")).json as Doc;
    const served = await extra.req("GET", "/api/v1/bulletins", { cookie: await extra.login("c1staff") });
    await extra.close();
    expect(doc.paths["/api/v1/bulletins"]?.["get"]?.summary).toBe("test module");
    expect(served.status).toBe(200);
  });
});
