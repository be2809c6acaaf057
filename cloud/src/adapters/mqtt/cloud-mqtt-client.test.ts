/** CloudMqttClient against the real embedded broker: start-up failures, contract QoS, reconnection. */
import { connectAsync, type IPublishPacket } from "mqtt";
import { describe, expect, it } from "vitest";
import { SystemClock, encodePayload, examples, type LoaError } from "@loa/shared";
import { EmbeddedBroker } from "../../broker/embedded-broker.js";
import { CLOUD_PASSWORD, catalogOf, deviceWithToken, freePort, silentLog } from "../../broker/test-kit.fixture.js";
import { CloudMqttClient } from "./cloud-mqtt-client.js";
import { until } from "../../../../test/support/wait.js";

const A = deviceWithToken("dev_a");
const clock = new SystemClock();

async function startBroker(port = 0): Promise<EmbeddedBroker> {
  return EmbeddedBroker.start({ catalog: catalogOf([A.device]), log: silentLog, tcp: { host: "127.0.0.1", port }, cloudPassword: CLOUD_PASSWORD });
}

describe("CloudMqttClient", () => {
  it("start() rejects at once when the broker refuses the cloud's password", async () => {
    const broker = await startBroker();
    const cloud = new CloudMqttClient({ url: `mqtt://127.0.0.1:${broker.port}`, password: "not-the-cloud-password", clock, log: silentLog });
    try {
      await expect(cloud.start()).rejects.toMatchObject({ code: "mqtt_refused" } satisfies Partial<LoaError>);
      expect(cloud.connected).toBe(false);
    } finally {
      await cloud.close();
      await broker.close();
    }
  });

  it("start() rejects after the connect timeout when nothing listens; publish before start fails clearly", async () => {
    const port = await freePort();
    const cloud = new CloudMqttClient({ url: `mqtt://127.0.0.1:${port}`, password: CLOUD_PASSWORD, clock, log: silentLog, connectTimeoutMs: 400, reconnectPeriodMs: 50 });
    await expect(cloud.publish("ack", "dev_a", { upToSeq: 1 })).rejects.toMatchObject({ code: "mqtt_not_started" });
    await expect(cloud.start()).rejects.toMatchObject({ code: "mqtt_unavailable" });
    await cloud.close();
  });

  it("refuses to publish an invalid payload (a bug on our side), before it reaches the wire", async () => {
    const broker = await startBroker();
    const cloud = new CloudMqttClient({ ...broker.cloudCredentials(), clock, log: silentLog });
    try {
      await cloud.start();
      await expect(cloud.publish("ack", "dev_a", { upToSeq: -1 })).rejects.toMatchObject({ code: "invalid_payload" });
      expect(cloud.stats().published).toBe(0);
    } finally {
      await cloud.close();
      await broker.close();
    }
  });

  it("publishes with the QoS of the contract table (ack QoS 1, time/res QoS 0)", async () => {
    const broker = await startBroker();
    const cloud = new CloudMqttClient({ ...broker.cloudCredentials(), clock, log: silentLog });
    const dev = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: "dev_a", username: "dev_a", password: A.token, reconnectPeriod: 0 });
    try {
      await cloud.start();
      const got: IPublishPacket[] = [];
      dev.on("message", (_t, _p, packet) => got.push(packet));
      await dev.subscribeAsync(["loa/v1/dev/dev_a/ack", "loa/v1/dev/dev_a/time/res"], { qos: 1 });
      await cloud.publish("ack", "dev_a", { upToSeq: 9 });
      await dev.publishAsync("loa/v1/dev/dev_a/time/req", encodePayload("timeReq", { t0: 1 }), { qos: 0 });
      await until("ack and time/res", () => got.length === 2, 5000, 10);
      expect(got.map((p) => [p.topic, p.qos])).toEqual([["loa/v1/dev/dev_a/ack", 1], ["loa/v1/dev/dev_a/time/res", 0]]);
      expect(cloud.stats()).toMatchObject({ timeReplies: 1, received: { timeReq: 1 } });
    } finally {
      await dev.endAsync(true);
      await cloud.close();
      await broker.close();
    }
  });

  it("reconnects after the broker restarts, subscribes again, and keeps receiving", async () => {
    let broker = await startBroker();
    const port = broker.port;
    const cloud = new CloudMqttClient({ ...broker.cloudCredentials(), clock, log: silentLog, reconnectPeriodMs: 50 });
    const seen: number[] = [];
    cloud.on("events", (_id, p) => void seen.push(p.seq));
    try {
      await cloud.start();
      await broker.close();
      await until("the disconnect", () => !cloud.connected, 5000, 10);
      broker = await startBroker(port);
      await until("the reconnect and new subscriptions", () => cloud.connected && cloud.stats().subscribes === 2, 5000, 10);
      const dev = await connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: "dev_a", username: "dev_a", password: A.token, reconnectPeriod: 0 });
      await dev.publishAsync("loa/v1/dev/dev_a/events", encodePayload("events", examples.events), { qos: 1 });
      await until("events after the reconnect", () => seen.length === 1, 5000, 10);
      expect(seen).toEqual([104]);
      await dev.endAsync(true);
    } finally {
      await cloud.close();
      await broker.close();
    }
  });
});
