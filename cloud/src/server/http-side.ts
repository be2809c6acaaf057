/**
 * The HTTP half of the cloud process (ARCHITECTURE §7): the REST app with every route module (bulletins,
 * the SSE stream, delivery's routes), `/metrics`, `/healthz` checks, and the live device state behind the
 * device routes, including what a deleted device leaves behind on the broker.
 */
import type { Clock, HealthCheck } from "@loa/shared";
import express from "express";
import type { Logger } from "pino";
import type { CloudConfig } from "../config.js";
import type { CommandCenter } from "../core/commands.js";
import type { LiveFeed } from "../core/live-feed.js";
import type { TelemetryHistory } from "../core/telemetry-history.js";
import { createHttpApp, type RouteModule } from "../http/app.js";
import type { CloudMetrics } from "../http/metrics.js";
import { mountPanel } from "../http/panel.js";
import { bulletinRoutes } from "../http/routes/bulletins.js";
import { deviceTelemetryRoutes } from "../http/routes/device-telemetry.js";
import { streamRoutes } from "../http/routes/stream.js";
import { startHttpServer } from "../http/server.js";
import type { MediaPipeline } from "../media/pipeline.js";
import type { DeviceLive } from "../ports/devices-live.js";
import type { Journal, Store } from "../ports/store.js";
import type { DeliveryPart } from "./delivery-hook.js";
import type { MqttSide } from "./mqtt-side.js";

export interface HttpSideDeps {
  config: CloudConfig;
  store: Store;
  /** The journal the routes write to (tapped for metrics). */
  journal: Journal;
  clock: Clock;
  log: Logger;
  side: MqttSide;
  commands: CommandCenter;
  /** Recent telemetry per device (`GET /api/v1/devices/:id/telemetry`). */
  telemetry: TelemetryHistory;
  delivery: DeliveryPart | undefined;
  feed: LiveFeed;
  metrics: CloudMetrics;
  pipeline: MediaPipeline;
  mediaDir: string;
  tmpDir: string;
  publicMqttUrl: string;
  /** True once shutdown began (the store is about to close). */
  closing: () => boolean;
  sseHeartbeatMs?: number;
}

export interface HttpSide {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startHttpSide(d: HttpSideDeps): Promise<HttpSide> {
  const { config, metrics } = d;
  const routes: RouteModule[] = [
    bulletinRoutes({ pipeline: d.pipeline, mediaDir: d.mediaDir, tmpDir: d.tmpDir }),
    deviceTelemetryRoutes(d.telemetry),
    streamRoutes({ feed: d.feed, presence: d.side.presence, onDrop: () => metrics.sseDropped(), ...(d.sseHeartbeatMs ? { heartbeatMs: d.sseHeartbeatMs } : {}) }),
    ...deliveryRoutes(d.delivery),
  ];
  const http = createHttpApp({
    catalog: d.store.catalog,
    journal: d.journal,
    clock: d.clock,
    log: d.log.child({ ns: "cloud.http" }),
    config: { publicMqttUrl: d.publicMqttUrl, mqttPrefix: config.mqttPrefix, tz: config.tz, trustProxy: config.trustProxy },
    deviceLive: deviceLive(d),
    deviceCommands: d.commands,
    health: () => healthChecks(d),
    routes,
    mount: (app) => {
      app.get("/metrics", metrics.handler());
      mountPanel(app);
    },
  });
  // An outer app so the timing middleware sees every request, before the API's own middleware runs.
  const outer = express();
  outer.disable("x-powered-by");
  outer.use(metrics.httpMiddleware());
  outer.use(http.app);
  const server = await startHttpServer(outer, config.httpPort, config.host);
  return {
    url: server.url,
    port: server.port,
    close: async () => {
      await server.close();
      await http.close();
    },
  };
}

function deliveryRoutes(delivery: DeliveryPart | undefined): RouteModule[] {
  if (!delivery) return [];
  return Array.isArray(delivery.routes) ? [...(delivery.routes as readonly RouteModule[])] : [delivery.routes as RouteModule];
}

/**
 * Presence as the device routes see it. `revoke` is called on token rotation and on delete (after the
 * catalogue change); a device that is gone also loses its retained plan and status on the broker (no stale
 * copy for anyone), its live state and its commands, and delivery replans.
 */
function deviceLive(d: HttpSideDeps): DeviceLive {
  const { presence, mqtt } = d.side;
  return {
    health: (id) => presence.health(id),
    revoke: async (id) => {
      await presence.revoke(id);
      if (d.store.catalog.data().devices.some((x) => x.id === id)) return;
      const clear = async (kind: "plan" | "status"): Promise<void> => {
        await mqtt.clearRetained(kind, id).catch((err: unknown) => d.log.child({ ns: "cloud.devices" }).warn({ deviceId: id, kind, err: String(err) }, "retained message not cleared"));
      };
      await Promise.all([clear("plan"), clear("status")]);
      presence.forget(id);
      d.telemetry.forget(id);
      d.commands.forgetDevice(id);
      await d.delivery?.replan(`device ${id} deleted`);
    },
  };
}

function healthChecks(d: HttpSideDeps): Record<string, HealthCheck> {
  const { broker, mqtt } = d.side;
  return {
    store: d.closing() ? { ok: false, detail: "shutting down" } : { ok: true },
    broker: broker
      ? { ok: broker.port > 0, detail: `embedded, MQTT on port ${broker.port}${broker.wsPort !== undefined ? `, WebSocket on ${broker.wsPort}` : ""}` }
      : { ok: true, detail: "external (MQTT_URL)" },
    mqtt: mqtt.connected ? { ok: true, detail: "connected" } : { ok: false, detail: "the cloud's MQTT client is not connected; it keeps retrying" },
  };
}
