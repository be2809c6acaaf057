/**
 * GET /api/v1/openapi.json of the full cloud against what it serves, in the serial group: it starts the whole
 * cloud in this process (embedded broker, delivery), too heavy for the parallel unit group. The core app's
 * document is checked in openapi.test.ts.
 */
import { describe, expect, it, vi } from "vitest";
import express, { type Express } from "express";
import { startCloudInProcess } from "../../../test/support/cloud-process.js";
import { documented, expressRoutes, type OpenApiDoc as Doc } from "../../../test/support/express-routes.js";

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
