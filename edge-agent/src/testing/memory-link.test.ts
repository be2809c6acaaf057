import { describe, expect, it } from "vitest";
import { examples } from "@loa/shared";
import { MemoryLink, topicMatches } from "./memory-link.js";
import { linkContract } from "./link-contract.js";

linkContract("MemoryLink", () => {
  const link = new MemoryLink({ deviceId: "dev_contract", agentVersion: "0.1.0", profile: "loa-amp-v1" });
  return Promise.resolve({
    link,
    seen: () => link.sent.map((m) => ({ topic: m.topic, payload: m.bytes })),
    cloudPublish: (topic, payload) => {
      link.inject(topic, payload);
      return Promise.resolve();
    },
    retained: (topic) => Promise.resolve(link.retained.get(topic)),
    goOffline: () => {
      link.disconnect();
      return Promise.resolve();
    },
    goOnline: () => {
      link.reconnect();
      return Promise.resolve();
    },
    close: () => link.stop(),
  });
});

describe("MemoryLink test side", () => {
  it("matches MQTT filters like a broker", () => {
    expect(topicMatches("loa/v1/media/+/+", "loa/v1/media/abc/0")).toBe(true);
    expect(topicMatches("loa/v1/media/+/+", "loa/v1/media/abc")).toBe(false);
    expect(topicMatches("loa/v1/#", "loa/v1/dev/x/plan")).toBe(true);
    expect(topicMatches("loa/v1/dev/x/cmd", "loa/v1/dev/x/cmd/res")).toBe(false);
  });

  it("keeps QoS 1 messages for the session while offline and delivers them on reconnect", async () => {
    const link = new MemoryLink();
    const cmds: unknown[] = [];
    link.on("cmd", (c) => {
      cmds.push(c);
    });
    await link.start();
    link.disconnect();
    link.deliver("cmd", examples.cmd);
    expect(cmds).toHaveLength(0);
    link.reconnect();
    expect(cmds).toEqual([examples.cmd]);
    expect(link.sentOf("status").map((s) => s.online)).toEqual([true, false, true]);
  });

  it("a throwing or rejecting handler is logged, not thrown into the link", async () => {
    const link = new MemoryLink();
    const seen: number[] = [];
    link.on("ack", () => {
      throw new Error("boom");
    });
    link.on("ack", () => Promise.reject(new Error("async boom")));
    link.on("ack", (a) => {
      seen.push(a.upToSeq);
    });
    await link.start();
    expect(() => link.deliver("ack", { upToSeq: 5 })).not.toThrow();
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual([5]);
  });
});
