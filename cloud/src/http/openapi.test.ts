import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import express, { type Express } from "express";
import { createHttpApp } from "./app.js";
import { openApiPath } from "./openapi.js";
import { startHarness, type Harness } from "./harness.fixture.js";
import { MemoryCatalog, MemoryJournal } from "../testing/memory-store.js";
import { FakeClock } from "@loa/shared";
import { pino } from "pino";
import { startCloudInProcess } from "../../../test/support/cloud-process.js";

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  /** A nested express.Router() has its own stack. */
  handle?: { stack?: Layer[] };
}

/** What express itself has registered, read from its router (not from our route table). */
function expressRoutes(app: Express): string[] {
  return routesOf((app.router as unknown as { stack: Layer[] }).stack, "");
}

/** A nested router's mount path is not kept in express 5, so its routes show as `?/path` (undocumentable). */
function routesOf(stack: Layer[], prefix: string): string[] {
  return stack.flatMap((layer) => {
    const route = layer.route;
    if (layer.handle?.stack) return routesOf(layer.handle.stack, "?");
    if (!route) return [];
    return Object.keys(route.methods).filter((m) => m !== "_all").map((m) => `${m.toUpperCase()} ${prefix}${openApiPath(route.path)}`);
  });
}

type Doc = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown>; summary: string; security: unknown[] }>> };

function documented(doc: Doc): string[] {
  return Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
}

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

/**
 * The same check on the cloud loa-cloud runs (startCloud: bulletins, the stream and delivery's routes are
 * mounted there, not in createHttpApp's built-ins). startCloud keeps its express apps to itself, so every app
 * created while it starts is caught at express's `init`, and their routers are read as above.
 */
describe("GET /api/v1/openapi.json of the full cloud", () => {
  it("documents exactly the API routes it serves, and each documented one is served", async () => {
    const apps: Express[] = [];
    const init = express.application.init;
    const spy = vi.spyOn(express.application, "init").mockImplementation(function (this: Express) {
      apps.push(this);
      init.call(this);
    });
    const full = await startCloudInProcess().finally(() => spy.mockRestore());
    try {
      const served = apps.flatMap(expressRoutes).filter((r) => /^\S+ (\?|\/api\/|\/healthz)/.test(r)).sort();
      const doc = (await (await fetch(`${full.cloud.httpUrl}/api/v1/openapi.json`)).json()) as Doc;
      expect(served).toEqual(documented(doc).sort());
      expect(served).toEqual(expect.arrayContaining(["POST /api/v1/bulletins", "GET /api/v1/stream", "PATCH /api/v1/broadcasts/{id}", "GET /api/v1/reports/plays.csv"]));
      for (const route of documented(doc)) {
        const [method = "", path = ""] = route.split(" ");
        const res = await fetch(full.cloud.httpUrl + path.replace(/\{\w+\}/g, "x"), { method, redirect: "manual" });
        const text = await res.text();
        const code = res.headers.get("content-type")?.startsWith("application/problem+json") ? (JSON.parse(text) as { code?: string }).code : undefined;
        // The router's own answers for a method or path it does not know; a handler's 404 has another code.
        expect([route, code]).not.toEqual([route, expect.stringMatching(/^(method_not_allowed|route_not_found)$/)]);
      }
    } finally {
      await full.close();
    }
  });
});
