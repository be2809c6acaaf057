/**
 * In-memory DeliveryBus for tests: records every publish in order (with a copy of the payload), lets a test
 * inject device messages, and can hold or fail publishes to show what waits for what.
 */
import { encodePayload, type AckPayload, type CmdPayload, type EventsPayload, type MediaReqPayload, type PlanPayload } from "@loa/shared";
import type { DeliveryBus, EventsHandler, MediaReqHandler } from "./bus.js";

export type Published =
  | { kind: "plan"; deviceId: string; payload: PlanPayload }
  | { kind: "ack"; deviceId: string; payload: AckPayload }
  | { kind: "cmd"; deviceId: string; payload: CmdPayload }
  | { kind: "media"; sha256: string; index: number; bytes: number; data: Buffer };

export class MemoryDeliveryBus implements DeliveryBus {
  readonly published: Published[] = [];
  private readonly events = new Set<EventsHandler>();
  private readonly mediaReqs = new Set<MediaReqHandler>();
  /** When set, every publish rejects with it (a broker that is down). */
  failWith: Error | undefined;

  onEvents(handler: EventsHandler): () => void {
    this.events.add(handler);
    return () => this.events.delete(handler);
  }

  onMediaReq(handler: MediaReqHandler): () => void {
    this.mediaReqs.add(handler);
    return () => this.mediaReqs.delete(handler);
  }

  publishPlan(deviceId: string, plan: PlanPayload): Promise<void> {
    // Validate like the real client does, so a bad payload fails here too.
    return this.record(() => {
      encodePayload("plan", plan);
      return { kind: "plan", deviceId, payload: structuredClone(plan) };
    });
  }

  publishAck(deviceId: string, ack: AckPayload): Promise<void> {
    return this.record(() => {
      encodePayload("ack", ack);
      return { kind: "ack", deviceId, payload: { ...ack } };
    });
  }

  publishCmd(deviceId: string, cmd: CmdPayload): Promise<void> {
    return this.record(() => {
      encodePayload("cmd", cmd);
      return { kind: "cmd", deviceId, payload: structuredClone(cmd) };
    });
  }

  publishMedia(sha256: string, index: number, chunk: Buffer): Promise<void> {
    return this.record(() => ({ kind: "media", sha256, index, bytes: chunk.length, data: Buffer.from(chunk) }));
  }

  /** A device publishes `events`. */
  deviceEvents(deviceId: string, batch: EventsPayload): void {
    for (const h of this.events) h(deviceId, batch);
  }

  /** A device publishes `media/req`. */
  deviceMediaReq(deviceId: string, req: MediaReqPayload): void {
    for (const h of this.mediaReqs) h(deviceId, req);
  }

  of<K extends Published["kind"]>(kind: K): Extract<Published, { kind: K }>[] {
    return this.published.filter((p): p is Extract<Published, { kind: K }> => p.kind === kind);
  }

  /** Plans published to one device, oldest first. */
  plansOf(deviceId: string): PlanPayload[] {
    return this.of("plan").filter((p) => p.deviceId === deviceId).map((p) => p.payload);
  }

  clear(): void {
    this.published.length = 0;
  }

  private record(make: () => Published): Promise<void> {
    if (this.failWith) return Promise.reject(this.failWith);
    try {
      this.published.push(make());
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
