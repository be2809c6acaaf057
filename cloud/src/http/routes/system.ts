/** Operations endpoints (ARCHITECTURE §7): `/healthz` and the OpenAPI document. */
import { HealthzResponse } from "@loa/shared";
import type { ApiRouter, RouteContext } from "../api-router.js";
import { buildOpenApi } from "../openapi.js";

export const API_VERSION = "1.0.0";

export function registerSystemRoutes(api: ApiRouter, ctx: RouteContext): void {
  api.add({
    method: "get",
    path: "/healthz",
    summary: "Liveness: the process answers",
    tag: "system",
    auth: "public",
    responses: { 200: { description: "alive", schema: HealthzResponse } },
    handler: () => ({ status: 200, body: { ok: true, time: ctx.clock.now() } }),
  });

  let doc: Record<string, unknown> | undefined;
  api.add({
    method: "get",
    path: "/api/v1/openapi.json",
    summary: "This API as OpenAPI 3.1",
    tag: "system",
    auth: "public",
    responses: { 200: { description: "the document", contentType: "application/json" } },
    handler: (call) => {
      // Built on first use: by then every module has registered its routes.
      doc ??= buildOpenApi(api.routes, API_VERSION);
      call.res.status(200).json(doc);
      return undefined;
    },
  });
}
