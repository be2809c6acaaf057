/** The DeliveryBus contract against the in-memory fake and against the real MQTT adapter on the embedded broker. */
import { connectAsync } from "mqtt";
import { SystemClock, encodePayload, type MediaReqPayload } from "@loa/shared";
import { EmbeddedBroker } from "../broker/embedded-broker.js";
import { CLOUD_PASSWORD, catalogOf, deviceWithToken, silentLog } from "../broker/test-kit.fixture.js";
import { CloudMqttClient } from "../adapters/mqtt/cloud-mqtt-client.js";
import { deliveryBusContract, type BusProbe, type DeviceInbox } from "./bus.contract.js";
import { MemoryDeliveryBus } from "./memory-bus.js";
import { MqttDeliveryBus } from "./mqtt-bus.js";
import { until } from "../../../test/support/wait.js";

deliveryBusContract("MemoryDeliveryBus", () => {
  const bus = new MemoryDeliveryBus();
  const deviceId = "dev_a";
  const inbox = (): DeviceInbox =>
    bus.published.flatMap((p): DeviceInbox => {
      if (p.kind === "media") return [{ kind: "media", sha256: p.sha256, index: p.index, data: p.data }];
      return p.deviceId === deviceId ? [{ kind: p.kind, payload: p.payload }] : [];
    });
  const probe: BusProbe = {
    bus,
    deviceId,
    sendEvents: (b) => Promise.resolve(bus.deviceEvents(deviceId, b)),
    sendMediaReq: (r: MediaReqPayload) => Promise.resolve(bus.deviceMediaReq(deviceId, r)),
    inbox,
    retainedPlan: () => Promise.resolve(bus.plansOf(deviceId).at(-1)),
    until: (cond, what) => (cond() ? Promise.resolve() : Promise.reject(new Error(`not yet: ${what}`))),
    close: () => Promise.resolve(),
  };
  return Promise.resolve(probe);
});

deliveryBusContract("MqttDeliveryBus on the embedded broker", async () => {
  const A = deviceWithToken("dev_a");
  const broker = await EmbeddedBroker.start({ catalog: catalogOf([A.device]), log: silentLog, tcp: { host: "127.0.0.1", port: 0 }, cloudPassword: CLOUD_PASSWORD });
  const cloud = new CloudMqttClient({ ...broker.cloudCredentials(), clock: new SystemClock(), log: silentLog });
  await cloud.start();
  const dev = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: "dev_a", username: "dev_a", password: A.token, reconnectPeriod: 0 });
  const got: DeviceInbox = [];
  dev.on("message", (topic, payload, packet) => {
    const parts = topic.split("/");
    if (parts[2] === "media") got.push({ kind: "media", sha256: parts[3] ?? "", index: Number(parts[4]), data: Buffer.from(payload) });
    else got.push({ kind: parts[4] as "plan" | "ack" | "cmd", payload: JSON.parse(payload.toString("utf8")) as unknown, retained: packet.retain });
  });
  await dev.subscribeAsync(["loa/v1/dev/dev_a/plan", "loa/v1/dev/dev_a/ack", "loa/v1/dev/dev_a/cmd", "loa/v1/media/+/+"], { qos: 1 });
  const probe: BusProbe = {
    bus: new MqttDeliveryBus(cloud),
    deviceId: "dev_a",
    sendEvents: async (b) => void (await dev.publishAsync("loa/v1/dev/dev_a/events", encodePayload("events", b), { qos: 1 })),
    sendMediaReq: async (r) => void (await dev.publishAsync("loa/v1/dev/dev_a/media/req", encodePayload("mediaReq", r), { qos: 1 })),
    inbox: () => got,
    retainedPlan: async () => {
      const plan = "loa/v1/dev/dev_a/plan";
      await dev.unsubscribeAsync(plan);
      const from = got.length;
      await dev.subscribeAsync(plan, { qos: 1 });
      await probe.until(() => got.slice(from).some((m) => m.kind === "plan" && m.retained === true), "the retained plan");
      const m = got.slice(from).find((x) => x.kind === "plan" && x.retained === true);
      return m && "payload" in m ? m.payload : undefined;
    },
    until: async (cond, what) => void (await until(what, cond, 5000, 10)),
    close: async () => {
      await dev.endAsync(true);
      await cloud.close();
      await broker.close();
    },
  };
  return probe;
});
