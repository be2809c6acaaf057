/** Operations endpoints (ARCHITECTURE §7): `/healthz` and the OpenAPI document. */
import { HealthzResponse } from "@loa/shared";
import type { ApiRouter, RouteContext } from "../api-router.js";
import { buildOpenApi } from "../openapi.js";

export const API_VERSION = "1.0.0";

export function registerSystemRoutes(api: ApiRouter, ctx: RouteContext): void {
  api.add({
    method: "get",
    path: "/healthz",
    summary: "Liveness and the state of the store, the broker and the MQTT link",
    tag: "system",
    auth: "public",
    responses: { 200: { description: "alive, every check passes", schema: HealthzResponse }, 503: { description: "a check fails (store, broker, mqtt)", schema: HealthzResponse } },
    handler: () => {
      const checks = ctx.health?.();
      const ok = Object.values(checks ?? {}).every((c) => c.ok);
      return { status: ok ? 200 : 503, body: { ok, time: ctx.clock.now(), ...(checks ? { checks } : {}) } };
    },
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
