/**
 * The MQTT half of the cloud process (ARCHITECTURE §3, §4): the embedded broker (unless MQTT_URL names an
 * external one), the cloud's own client, and presence fed from status, telemetry, events and any message
 * seen. Handlers are attached before the client subscribes, so retained births replayed at subscribe
 * time are not missed.
 */
import type { Clock } from "@loa/shared";
import type { Logger } from "pino";
import { CloudMqttClient } from "../adapters/mqtt/cloud-mqtt-client.js";
import { EmbeddedBroker } from "../broker/embedded-broker.js";
import type { CloudConfig } from "../config.js";
import { Presence } from "../core/presence.js";
import type { Catalog } from "../ports/store.js";
import { knownDevices } from "../core/known-devices.js";

export interface MqttSide {
  broker: EmbeddedBroker | undefined;
  mqtt: CloudMqttClient;
  presence: Presence;
  /** Where the cloud's client connects (no password). */
  url: string;
}

export interface MqttSideDeps {
  config: CloudConfig;
  catalog: Catalog;
  clock: Clock;
  log: Logger;
}

/** Start the broker (when embedded) and build the client and presence; the client is not started yet. */
export async function createMqttSide(deps: MqttSideDeps): Promise<MqttSide> {
  const { config: c, catalog, clock, log } = deps;
  const broker = c.mqttUrl
    ? undefined
    : await EmbeddedBroker.start({
        catalog,
        log,
        prefix: c.mqttPrefix,
        tcp: { host: c.host, port: c.mqttPort },
        ...(c.mqttWsPort !== null ? { ws: { host: c.host, port: c.mqttWsPort } } : {}),
        ...(c.mqttCloudPassword ? { cloudPassword: c.mqttCloudPassword } : {}),
      });
  const creds = broker ? broker.cloudCredentials() : { url: c.mqttUrl ?? "", username: undefined, password: c.mqttCloudPassword ?? "" };
  const mqtt = new CloudMqttClient({
    url: creds.url,
    ...(creds.username ? { username: creds.username } : {}),
    password: creds.password,
    prefix: c.mqttPrefix,
    clock,
    log,
    // The embedded broker is in this process: fail fast if it does not take us.
    connectTimeoutMs: broker ? 10_000 : 30_000,
  });
  const presence = new Presence({ clock, log, ...(broker ? { revoke: (id: string) => broker.revoke(id) } : {}) });
  wirePresence(mqtt, presence, knownDevices(catalog));
  return { broker, mqtt, presence, url: creds.url };
}

/**
 * Only provisioned devices count: a retained status left on an external broker by a device deleted while
 * the cloud was down must not bring it back to life.
 */
function wirePresence(mqtt: CloudMqttClient, presence: Presence, known: (id: string) => boolean): void {
  mqtt.on("status", (id, status, meta) => {
    if (known(id)) presence.onStatus(id, status, { retained: meta.retained });
  });
  mqtt.on("telemetry", (id, t, meta) => {
    if (known(id) && !meta.retained) presence.onTelemetry(id, t);
  });
  mqtt.on("events", (id, batch, meta) => {
    if (known(id) && !meta.retained) presence.onEvents(id, batch);
  });
  mqtt.onSeen((id, meta) => {
    if (known(id)) presence.seen(id, meta.receivedAt);
  });
}
