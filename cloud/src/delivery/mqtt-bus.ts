/** DeliveryBus over the cloud's MQTT client (the only MQTT code delivery uses). */
import type { AckPayload, CmdPayload, MediaReqPayload, PlanPayload } from "@loa/shared";
import type { CloudMqttClient } from "../adapters/mqtt/cloud-mqtt-client.js";
import type { DeliveryBus, EventsHandler, MediaReqHandler } from "./bus.js";

type Client = Pick<CloudMqttClient, "on" | "publish" | "publishMedia">;

export class MqttDeliveryBus implements DeliveryBus {
  constructor(private readonly mqtt: Client) {}

  onEvents(handler: EventsHandler): () => void {
    // A retained events batch is a stale copy someone left on the broker, not a fresh report.
    return this.mqtt.on("events", (deviceId, batch, meta) => {
      if (!meta.retained) handler(deviceId, batch);
    });
  }

  onMediaReq(handler: MediaReqHandler): () => void {
    return this.mqtt.on("mediaReq", (deviceId, req: MediaReqPayload, meta) => {
      if (!meta.retained) handler(deviceId, req);
    });
  }

  publishPlan(deviceId: string, plan: PlanPayload): Promise<void> {
    return this.mqtt.publish("plan", deviceId, plan);
  }

  publishAck(deviceId: string, ack: AckPayload): Promise<void> {
    return this.mqtt.publish("ack", deviceId, ack);
  }

  publishCmd(deviceId: string, cmd: CmdPayload): Promise<void> {
    return this.mqtt.publish("cmd", deviceId, cmd);
  }

  publishMedia(sha256: string, index: number, chunk: Buffer): Promise<void> {
    return this.mqtt.publishMedia(sha256, index, chunk);
  }
}
