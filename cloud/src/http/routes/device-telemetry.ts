/**
 * A receiver's recent telemetry for the panel's charts (ARCHITECTURE §3 telemetry, §7): the samples the
 * cloud keeps in memory (core/telemetry-history.ts), oldest first. Same gate as `GET /api/v1/devices/:id`:
 * 404 when the device is unknown or outside the caller's subtree.
 */
import { DeviceTelemetryHistory, DeviceTelemetryQuery, isoOf } from "@loa/shared";
import type { TelemetryReader } from "../../core/telemetry-history.js";
import type { RouteModule } from "../app.js";
import { AUTH_ERRORS, PROBLEM } from "./docs.js";
import { visibleDevice } from "./devices.js";

export function deviceTelemetryRoutes(history: TelemetryReader): RouteModule {
  return (api, ctx) => {
    api.add({
      method: "get",
      path: "/api/v1/devices/:id/telemetry",
      summary: "A device's recent telemetry samples (amplifier and CPU temperature, volume, clock offset), oldest first; since (ISO, default 6 h ago), limit (newest N, at most 720)",
      tag: "devices",
      query: DeviceTelemetryQuery,
      responses: {
        200: { description: "the samples received at or after `since`, at most `limit`, oldest first", schema: DeviceTelemetryHistory },
        ...AUTH_ERRORS,
        404: PROBLEM("unknown or outside your area"),
        422: PROBLEM("invalid since or limit"),
      },
      handler: (call) => {
        const device = visibleDevice(call, ctx, call.param("id"), "devices.read");
        const { since, limit } = call.query;
        const points = history.recent(device.id, { ...(since !== undefined ? { sinceMs: Date.parse(since) } : {}), limit });
        return { status: 200, body: { deviceId: device.id, items: points.map((p) => ({ ...p, at: isoOf(p.at) })) } };
      },
    });
  };
}
