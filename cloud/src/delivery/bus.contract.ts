/**
 * The DeliveryBus contract, one suite run against every implementation (STYLE: contract suites): the fake
 * (MemoryDeliveryBus) and the real one (MqttDeliveryBus over CloudMqttClient and the embedded broker).
 * A probe plays the device side of each.
 */
import { describe, expect, it } from "vitest";
import { examples, type EventsPayload, type MediaReqPayload, type PlanPayload } from "@loa/shared";
import type { DeliveryBus } from "./bus.js";

/** What the device with this id got from the cloud, in arrival order. */
export type DeviceInbox = Array<{ kind: "plan" | "ack" | "cmd"; payload: unknown; retained?: boolean } | { kind: "media"; sha256: string; index: number; data: Buffer }>;

export interface BusProbe {
  bus: DeliveryBus;
  deviceId: string;
  /** The device publishes (as itself). */
  sendEvents(batch: EventsPayload): Promise<void>;
  sendMediaReq(req: MediaReqPayload): Promise<void>;
  inbox(): DeviceInbox;
  /** The plan a device subscribing now gets at once (the retained one), or undefined. */
  retainedPlan(): Promise<unknown>;
  /** Wait until `cond` holds (the real bus is asynchronous). */
  until(cond: () => boolean, what: string): Promise<void>;
  close(): Promise<void>;
}

export function deliveryBusContract(name: string, makeProbe: () => Promise<BusProbe>): void {
  describe(`DeliveryBus contract: ${name}`, () => {
    const withProbe = (fn: (p: BusProbe) => Promise<void>) => async () => {
      const p = await makeProbe();
      try {
        await fn(p);
      } finally {
        await p.close();
      }
    };

    it("delivers the plan, the ack and a command to the device, payloads intact", withProbe(async (p) => {
      const plan: PlanPayload = { ...examples.plan, version: 7 };
      await p.bus.publishPlan(p.deviceId, plan);
      await p.bus.publishAck(p.deviceId, { upToSeq: 42 });
      await p.bus.publishCmd(p.deviceId, examples.cmd);
      await p.until(() => p.inbox().length >= 3, "plan, ack and cmd");
      const got = p.inbox().map((m) => ("payload" in m ? [m.kind, m.payload] : [m.kind]));
      expect(got).toEqual([["plan", plan], ["ack", { upToSeq: 42 }], ["cmd", examples.cmd]]);
    }));

    it("keeps the latest plan retained for a device that subscribes later", withProbe(async (p) => {
      await p.bus.publishPlan(p.deviceId, { ...examples.plan, version: 1 });
      await p.bus.publishPlan(p.deviceId, { ...examples.plan, version: 2 });
      expect(await p.retainedPlan()).toEqual({ ...examples.plan, version: 2 });
    }));

    it("delivers media chunks byte for byte on the shared topic", withProbe(async (p) => {
      const sha = "ab".repeat(32);
      const chunk = Buffer.from(Array.from({ length: 3000 }, (_, i) => i & 0xff));
      await p.bus.publishMedia(sha, 3, chunk);
      await p.until(() => p.inbox().some((m) => m.kind === "media"), "a media chunk");
      const m = p.inbox().find((x) => x.kind === "media");
      expect(m).toMatchObject({ sha256: sha, index: 3 });
      expect(m && "data" in m ? m.data.equals(chunk) : false).toBe(true);
    }));

    it("hands device events and media requests to handlers with the device id; removed handlers hear nothing", withProbe(async (p) => {
      const events: Array<[string, EventsPayload]> = [];
      const reqs: Array<[string, MediaReqPayload]> = [];
      const offEvents = p.bus.onEvents((id, b) => events.push([id, b]));
      p.bus.onMediaReq((id, r) => reqs.push([id, r]));
      await p.sendEvents(examples.events);
      await p.sendMediaReq(examples.mediaReq);
      await p.until(() => events.length === 1 && reqs.length === 1, "events and media/req");
      expect(events).toEqual([[p.deviceId, examples.events]]);
      expect(reqs).toEqual([[p.deviceId, examples.mediaReq]]);
      offEvents();
      await p.sendEvents({ ...examples.events });
      await p.sendMediaReq(examples.mediaReq);
      await p.until(() => reqs.length === 2, "the second media/req");
      expect(events).toHaveLength(1);
    }));

    it("refuses to publish an invalid payload", withProbe(async (p) => {
      await expect(p.bus.publishAck(p.deviceId, { upToSeq: -1 })).rejects.toThrow();
      await expect(p.bus.publishPlan(p.deviceId, { version: 1, serverTime: "yesterday", items: [] })).rejects.toThrow();
    }));
  });
}
