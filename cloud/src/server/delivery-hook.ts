/**
 * HOOK — delivery (plans, events/ack, media over MQTT, plays) is built in cloud/src/delivery/ by another
 * part of the team with one factory, `createDelivery(deps)`. Until it is committed the cloud runs without
 * it: devices connect, report presence and health and take commands, but get no plans, their events are
 * not acknowledged and no media is served. When it lands, set DEFAULT_DELIVERY to `createDelivery`.
 */
import type { Clock } from "@loa/shared";
import type { Logger } from "pino";
import type { CloudMqttClient } from "../adapters/mqtt/cloud-mqtt-client.js";
import type { Presence } from "../core/presence.js";
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
  stats(): Record<string, unknown>;
}

export type DeliveryFactory = (deps: DeliveryDeps) => DeliveryPart | Promise<DeliveryPart>;

/** HOOK: `createDelivery` from ../delivery/index.js once it exists. */
export const DEFAULT_DELIVERY: DeliveryFactory | undefined = undefined;
