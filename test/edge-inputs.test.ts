/**
 * The receiver against bad input (ARCHITECTURE §3 rules: "an invalid payload is dropped, counted and logged
 * with its topic, never crashes a process"; a device ignores an older plan). Malformed payloads on every
 * topic it subscribes to: invalid JSON, wrong schema, oversized; the agent keeps running and applies the
 * next valid plan. Real aedes broker, MqttJsLink, cloud double, amp simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTopics, MAX_PAYLOAD_BYTES, type MediaRef, type PlanPayload } from "@loa/shared";
import type { TestBroker } from "../edge-agent/src/adapters/mqtt/aedes-broker.fixture.js";
import { openEdgeWorld, waitUntil, type EdgeWorld, type FakeCloud } from "./fixtures/edge-cloud.js";
import { makeBulletin, startEdge, type EdgeUnderTest } from "./fixtures/edge-harness.js";

const DEVICE = "dev_edge_inputs";
const TOKEN = "tok-edge-inputs";
const topics = createTopics();

let world: EdgeWorld;
let dir = "";
let broker: TestBroker;
let cloud: FakeCloud;
let edge: EdgeUnderTest;
let media: MediaRef;

beforeAll(async () => {
  world = await openEdgeWorld({ deviceId: DEVICE, token: TOKEN, tmpPrefix: "loa-edge-inputs-" });
  ({ dir, broker, cloud } = world);
  media = cloud.addMedia(await makeBulletin(dir, "x", 500, 1_000), 1_000);
  // Never answered: the device stays subscribed to this file's chunk topic.
  cloud.chunkHook = () => "drop";
  edge = await startEdge({ dir, url: broker.deviceUrl, deviceId: DEVICE, token: TOKEN });
});

afterAll(async () => {
  await edge.stop();
  await world.close();
});

const planOf = (version: number): PlanPayload => ({
  version,
  serverTime: new Date().toISOString(),
  items: [{ playId: `bc_x:${version}`, at: new Date(Date.now() + 3_600_000).toISOString(), priority: "normal", media }],
});

const applied = (): number[] => cloud.events("plan_applied").map((e) => (e.type === "plan_applied" ? e.version : -1));

describe("receiver: malformed input", () => {
  it("counts, logs and drops malformed payloads on every subscribed topic, and keeps running", { timeout: 30_000 }, async () => {
    await cloud.publishPlan(planOf(5));
    await waitUntil("plan 5 applied", () => applied().includes(5));
    await waitUntil("media requested", () => cloud.mediaReqs.length > 0);
    const future = new Date(Date.now() + 60_000).toISOString();
    const bad: Record<"ack" | "plan" | "cmd" | "timeRes", (string | Buffer)[]> = {
      ack: ["{not json", JSON.stringify({ upToSeq: "three" }), Buffer.alloc(MAX_PAYLOAD_BYTES.ack + 1, 0x20)],
      plan: ["[1,2", JSON.stringify({ version: -1, items: "none" }), Buffer.alloc(MAX_PAYLOAD_BYTES.plan + 1, 0x20)],
      cmd: [
        "\u0000\u0001",
        JSON.stringify({ cmdId: "c_bad_args", type: "play_now", args: {}, expiresAt: future }),
        JSON.stringify({ cmdId: "c_unknown", type: "self_destruct", args: {}, expiresAt: future }),
        Buffer.alloc(MAX_PAYLOAD_BYTES.cmd + 1, 0x20),
      ],
      timeRes: ["nope", JSON.stringify({ t0: 1, t1: 5, t2: 2 }), Buffer.alloc(MAX_PAYLOAD_BYTES.timeRes + 1, 0x20)],
    };
    for (const [kind, payloads] of Object.entries(bad) as [keyof typeof bad, (string | Buffer)[]][]) {
      for (const p of payloads) await cloud.publishRaw(topics.device(kind, DEVICE), p);
    }
    // Chunks of the wanted file: empty, over the chunk limit, wrong length, index out of range.
    for (const [index, data] of [[0, Buffer.alloc(0)], [0, Buffer.alloc(2 * 1024 * 1024 + 1)], [0, Buffer.alloc(10)], [9_999, Buffer.alloc(1024)]] as const) {
      await cloud.publishRaw(topics.media(media.sha256, index), data);
    }
    await waitUntil("all counted", () => {
      const s = edge.agent.stats();
      return s.link.invalid.timeRes >= 3 && s.link.invalid.media >= 2 && s.media.badChunks >= 2;
    });
    const stats = edge.agent.stats();
    expect(stats.link.invalid).toMatchObject({ ack: 3, plan: 3, cmd: 4, timeRes: 3, media: 2 });
    expect(stats.media.badChunks).toBe(2);
    // A command whose cmdId is readable is answered, so the operator sees why.
    await waitUntil("bad commands answered", () => cloud.cmdRes.length >= 2);
    expect(cloud.cmdRes.find((r) => r.cmdId === "c_bad_args")).toMatchObject({ ok: false, error: { code: "invalid_command" } });
    expect(cloud.cmdRes.find((r) => r.cmdId === "c_unknown")).toMatchObject({ ok: false, error: { code: "unsupported_command" } });

    // Still running: the next valid plan is applied and reported.
    expect(edge.agent.running).toBe(true);
    await cloud.publishPlan(planOf(6));
    await waitUntil("plan 6 applied", () => applied().includes(6));
    expect(edge.agent.parts.plans.current()?.version).toBe(6);
    expect(cloud.protocolErrors).toEqual([]);
  });

  it("ignores a plan older than the current one", { timeout: 15_000 }, async () => {
    const before = edge.agent.stats().plansIgnored;
    await cloud.publishPlan(planOf(4));
    await waitUntil("older plan seen", () => edge.agent.stats().plansIgnored > before);
    await edge.agent.idle();
    expect(edge.agent.parts.plans.current()?.version).toBe(6);
    expect(applied()).toEqual([5, 6]);
  });
});
