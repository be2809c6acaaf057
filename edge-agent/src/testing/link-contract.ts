/**
 * The Link contract (STYLE: one suite run against every implementation of a port): MqttJsLink against a
 * real aedes broker, MemoryLink in memory. Each test names the ARCHITECTURE §3 rule it checks.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  EXAMPLE_SHA256,
  LIMITS,
  ProtocolError,
  createTopics,
  examples,
  parsePayload,
  type PayloadOf,
} from "@loa/shared";
import { LinkError, type InvalidMessage, type Link, type LinkEventName, type LinkEvents } from "../ports/link.js";

export interface LinkHarness {
  /** Not started yet; prefix `loa/v1`, agentVersion `0.1.0`, profile `loa-amp-v1`. */
  link: Link;
  /** What the cloud side received from the device, in order. */
  seen(): { topic: string; payload: Buffer }[];
  /** The cloud publishes (QoS 1, not retained). */
  cloudPublish(topic: string, payload: Buffer | string): Promise<void>;
  /** The retained message on `topic`, as a new subscriber would get it. */
  retained(topic: string): Promise<Buffer | undefined>;
  /** The broker becomes unreachable abruptly; resolves once the link reported offline. */
  goOffline(): Promise<void>;
  /** The broker is reachable again; resolves once the link is back online. */
  goOnline(): Promise<void>;
  close(): Promise<void>;
}

/** Poll `cond` every 10 ms (real time) until true, or fail naming `what`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Collects every event of `name` from `link`. */
export function collect<E extends LinkEventName>(link: Link, name: E): LinkEvents[E][] {
  const out: LinkEvents[E][] = [];
  link.on(name, (e) => {
    out.push(e);
  });
  return out;
}

const SHA_B = "b".repeat(64);

export function linkContract(name: string, make: () => Promise<LinkHarness>): void {
  describe(`Link contract: ${name}`, () => {
    let h: LinkHarness | undefined;
    const topics = createTopics("loa/v1");
    const setup = async (): Promise<LinkHarness & { id: string }> => {
      h = await make();
      return Object.assign(h, { id: h.link.deviceId });
    };
    const parsedOn = (hh: LinkHarness, topic: string): unknown[] =>
      hh.seen().filter((m) => m.topic === topic).map((m) => JSON.parse(m.payload.toString("utf8")) as unknown);
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    it("[§3 status] publishes the retained birth on connect, then reports online", async () => {
      const hh = await setup();
      const online = collect(hh.link, "online");
      await hh.link.start();
      await waitFor(() => online.length === 1 && hh.link.online, "online");
      const status = topics.status(hh.id);
      await waitFor(() => parsedOn(hh, status).length === 1, "birth");
      const birth = parsedOn(hh, status)[0] as PayloadOf<"status">;
      expect(birth).toMatchObject({ online: true, bootId: hh.link.bootId, agentVersion: "0.1.0", profile: "loa-amp-v1" });
      expect(parsePayload("status", JSON.stringify(birth)).ok).toBe(true);
      expect(online[0]).toEqual({ bootId: hh.link.bootId, connects: 1 });
      const kept = await hh.retained(status);
      expect(JSON.parse(kept?.toString("utf8") ?? "null")).toEqual(birth);
    });

    it("[§3 cmd, plan, ack, time/res] valid inbound payloads reach typed handlers", async () => {
      const hh = await setup();
      const got = { plan: collect(hh.link, "plan"), ack: collect(hh.link, "ack"), cmd: collect(hh.link, "cmd"), timeRes: collect(hh.link, "timeRes") };
      await hh.link.start();
      await waitFor(() => hh.link.online, "online");
      for (const kind of ["plan", "ack", "cmd", "timeRes"] as const) {
        await hh.cloudPublish(topics.device(kind, hh.id), JSON.stringify(examples[kind]));
      }
      await waitFor(() => Object.values(got).every((l) => l.length === 1), "all four kinds");
      expect(got.plan[0]).toEqual(examples.plan);
      expect(got.ack[0]).toEqual(examples.ack);
      expect(got.cmd[0]).toEqual(examples.cmd);
      expect(got.timeRes[0]).toEqual(examples.timeRes);
    });

    it("[§3 rules] invalid JSON, wrong schema and huge payloads are dropped and counted per kind; the link keeps working", async () => {
      const hh = await setup();
      const plans = collect(hh.link, "plan");
      const cmds = collect(hh.link, "cmd");
      const invalid: InvalidMessage[] = collect(hh.link, "invalid");
      await hh.link.start();
      await waitFor(() => hh.link.online, "online");
      const huge = `{"pad":"${"x".repeat(2 * 1024 * 1024 + 10)}"}`;
      for (const kind of ["plan", "ack", "cmd", "timeRes"] as const) {
        const topic = topics.device(kind, hh.id);
        await hh.cloudPublish(topic, "{not json");
        await hh.cloudPublish(topic, JSON.stringify({ wrong: "schema" }));
        await hh.cloudPublish(topic, huge);
      }
      await hh.cloudPublish(topics.cmd(hh.id), JSON.stringify(examples.cmd));
      await hh.cloudPublish(topics.plan(hh.id), JSON.stringify(examples.plan));
      await waitFor(() => plans.length === 1 && cmds.length === 1, "the valid plan and cmd after the bad ones");
      expect(hh.link.stats().invalid).toMatchObject({ plan: 3, ack: 3, cmd: 3, timeRes: 3 });
      expect(invalid).toHaveLength(12);
      expect(invalid.map((i) => i.code).slice(0, 3)).toEqual(["invalid_json", "invalid_payload", "too_large"]);
      expect(invalid[0]).toMatchObject({ kind: "plan", topic: topics.plan(hh.id) });
      expect(invalid[0]?.raw?.toString()).toBe("{not json");
      expect(invalid[2]?.raw).toBeUndefined();
      expect(hh.link.online).toBe(true);
    });

    it("[§3 media] chunks arrive as raw bytes only for wanted files; oversize chunks are counted", async () => {
      const hh = await setup();
      const chunks = collect(hh.link, "media");
      const acks = collect(hh.link, "ack");
      await hh.link.start();
      await waitFor(() => hh.link.online, "online");
      hh.link.wantMedia(EXAMPLE_SHA256);
      hh.link.wantMedia(EXAMPLE_SHA256); // idempotent
      await new Promise((r) => setTimeout(r, 50)); // let the SUBSCRIBE reach a real broker
      const data = Buffer.from([0, 1, 2, 255, 0x7b]);
      await hh.cloudPublish(topics.media(SHA_B, 0), Buffer.from("not wanted"));
      await hh.cloudPublish(topics.media(EXAMPLE_SHA256, 0), Buffer.alloc(LIMITS.chunkSizeMax + 1));
      await hh.cloudPublish(topics.media(EXAMPLE_SHA256, 3), data);
      await waitFor(() => chunks.length === 1, "the wanted chunk");
      expect(chunks[0]).toMatchObject({ sha256: EXAMPLE_SHA256, index: 3 });
      expect(chunks[0]?.data.equals(data)).toBe(true);
      expect(hh.link.stats().invalid.media).toBe(1);
      hh.link.unwantMedia(EXAMPLE_SHA256);
      await new Promise((r) => setTimeout(r, 50));
      await hh.cloudPublish(topics.media(EXAMPLE_SHA256, 4), data);
      await hh.cloudPublish(topics.ack(hh.id), JSON.stringify({ upToSeq: 2 }));
      await waitFor(() => acks.length === 1, "an ack after the unwanted chunk");
      expect(chunks).toHaveLength(1);
    });

    it("[§3 table] publishes each outbound kind on its topic; a bad payload is refused before sending", async () => {
      const hh = await setup();
      await hh.link.start();
      await waitFor(() => hh.link.online, "online");
      for (const kind of ["telemetry", "events", "cmdRes", "mediaReq", "timeReq"] as const) {
        await hh.link.publish(kind, examples[kind] as never);
      }
      for (const kind of ["telemetry", "events", "cmdRes", "mediaReq", "timeReq"] as const) {
        const topic = topics.device(kind, hh.id);
        await waitFor(() => parsedOn(hh, topic).length === 1, `${kind} at the cloud`);
        expect(parsedOn(hh, topic)[0]).toEqual(examples[kind]);
      }
      await expect(hh.link.publish("cmdRes", { cmdId: "x y", ok: true } as never)).rejects.toBeInstanceOf(ProtocolError);
    });

    it("[§3 status, outbox] an abrupt loss fires the will; back online: new birth with the same bootId, subscriptions renewed, QoS 1 queued both ways delivered", async () => {
      const hh = await setup();
      const online = collect(hh.link, "online");
      const offline = collect(hh.link, "offline");
      const plans = collect(hh.link, "plan");
      const cmds = collect(hh.link, "cmd");
      await hh.link.start();
      await waitFor(() => hh.link.online, "online");
      await hh.goOffline();
      // Persistent session (clean: false): a QoS 1 command sent while we are away waits at the broker.
      await hh.cloudPublish(topics.cmd(hh.id), JSON.stringify(examples.cmd));
      expect(offline).toHaveLength(1);
      const status = topics.status(hh.id);
      await waitFor(() => parsedOn(hh, status).length === 2, "the will");
      expect(parsedOn(hh, status)[1]).toEqual({ online: false, bootId: hh.link.bootId });
      await expect(hh.link.publish("telemetry", examples.telemetry)).rejects.toMatchObject({ code: "offline" });
      const queued = hh.link.publish("cmdRes", examples.cmdRes);
      await hh.goOnline();
      await queued;
      await waitFor(() => online.length === 2, "second online");
      await waitFor(() => parsedOn(hh, status).length === 3, "second birth");
      expect(parsedOn(hh, status)[2]).toMatchObject({ online: true, bootId: hh.link.bootId });
      expect(parsedOn(hh, topics.cmdRes(hh.id))).toEqual([examples.cmdRes]);
      await hh.cloudPublish(topics.plan(hh.id), JSON.stringify(examples.plan));
      await waitFor(() => plans.length === 1, "a plan after reconnect");
      expect(cmds).toEqual([examples.cmd]);
    });

    it("[§3 status] stop() publishes the will payload itself; publishing afterwards is refused", async () => {
      const hh = await setup();
      const offline = collect(hh.link, "offline");
      await hh.link.start();
      await waitFor(() => hh.link.online, "online");
      await hh.link.stop();
      expect(hh.link.online).toBe(false);
      expect(offline).toEqual([{ reason: "stopped" }]);
      const status = topics.status(hh.id);
      await waitFor(() => parsedOn(hh, status).length === 2, "the will payload");
      expect(parsedOn(hh, status)[1]).toEqual({ online: false, bootId: hh.link.bootId });
      expect(JSON.parse((await hh.retained(status))?.toString("utf8") ?? "null")).toEqual({ online: false, bootId: hh.link.bootId });
      await expect(hh.link.publish("cmdRes", examples.cmdRes)).rejects.toBeInstanceOf(LinkError);
      await hh.link.stop(); // idempotent
    });
  });
}
