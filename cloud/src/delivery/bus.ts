/**
 * The DeliveryBus port: the MQTT traffic delivery needs (ARCHITECTURE §3), and nothing else. Device events
 * and media requests come in; plans, acks, play_now commands and media chunks go out. The real adapter is
 * `MqttDeliveryBus` over the cloud's CloudMqttClient; `MemoryDeliveryBus` records and injects in tests.
 * Both pass the same contract suite (bus.contract.ts).
 */
import type { AckPayload, CmdPayload, EventsPayload, MediaReqPayload, PlanPayload } from "@loa/shared";

export type EventsHandler = (deviceId: string, batch: EventsPayload) => void;
export type MediaReqHandler = (deviceId: string, req: MediaReqPayload) => void;

export interface DeliveryBus {
  /** Fresh (not retained) validated `events` batches; returns the function that removes the handler. */
  onEvents(handler: EventsHandler): () => void;
  /** Fresh validated `media/req` messages. */
  onMediaReq(handler: MediaReqHandler): () => void;
  /** The device's retained plan (QoS 1); resolves when the broker has it. */
  publishPlan(deviceId: string, plan: PlanPayload): Promise<void>;
  publishAck(deviceId: string, ack: AckPayload): Promise<void>;
  publishCmd(deviceId: string, cmd: CmdPayload): Promise<void>;
  /** One chunk on the shared `media/{sha256}/{index}` topic (QoS 1, not retained). */
  publishMedia(sha256: string, index: number, chunk: Buffer): Promise<void>;
}
