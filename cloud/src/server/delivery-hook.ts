/**
 * Delivery (plans, events and acks, media over MQTT, plays, broadcast/play/report routes) as the process
 * wiring sees it: cloud/src/delivery's `createDelivery` behind a small interface, so tests and tools can
 * pass another factory (or none: `startCloud(config, {delivery: null})` runs presence and commands only).
 */
import type { Clock, MediaRef } from "@loa/shared";
import type { Logger } from "pino";
import type { CloudMqttClient } from "../adapters/mqtt/cloud-mqtt-client.js";
import type { Presence } from "../core/presence.js";
import { createDelivery } from "../delivery/index.js";
import type { RouteModule } from "../http/app.js";
import type { Catalog, Journal } from "../ports/store.js";

export interface DeliveryDeps {
  catalog: Catalog;
  journal: Journal;
  mqtt: CloudMqttClient;
  presence: Presence;
  clock: Clock;
  log: Logger;
  /** Absolute path of a stored media file by sha256, or undefined when it is not stored. */
  mediaPathOf: (sha256: string) => Promise<string | undefined>;
  config: { tz: string; prefix: string };
}

/** A change of a play's status, as the SSE stream forwards it. */
export interface DeliveryChange {
  deviceId?: string;
  broadcastId?: string;
  [field: string]: unknown;
}

export interface DeliveryPart {
  routes: RouteModule | readonly RouteModule[];
  start(): Promise<void> | void;
  close(): Promise<void> | void;
  onChange(listener: (change: DeliveryChange) => void): (() => void) | void;
  replan(reason: string): Promise<void> | void;
  /** Let devices fetch this media until `untilMs` though no plan uses it (a REST play_now command). */
  allowMedia?(ref: MediaRef, untilMs: number): void;
  stats(): Record<string, unknown>;
}

export type DeliveryFactory = (deps: DeliveryDeps) => DeliveryPart | Promise<DeliveryPart>;

/** The team's delivery, adapted: its play changes and stats are plain records for the stream and /metrics. */
export const DEFAULT_DELIVERY: DeliveryFactory | undefined = (deps) => {
  const d = createDelivery(deps);
  return {
    routes: d.routes,
    start: () => d.start(),
    close: () => d.close(),
    onChange: (listener) => d.onChange((change) => listener({ ...change })),
    replan: (reason) => d.replan(reason),
    allowMedia: (ref, untilMs) => d.allowMedia(ref, untilMs),
    stats: () => ({ ...d.stats() }),
  };
};
