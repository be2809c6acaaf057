/**
 * Delivery with real receivers, several at once (ARCHITECTURE §2 priorities, §3 "Media over MQTT, pulled then
 * multicast"; cloud/src/delivery/README.md "Media", "play_now"): a real cloud in-process and fleets of real
 * edge agents (timing sink, no audio device) on the real clock.
 * - An emergency `now` to receivers that are all playing a long normal bulletin pre-empts it on every one:
 *   the normal plays end `interrupted` (by the emergency's playId), the emergency plays and `finished`.
 * - 50 receivers get one broadcast `at` T: all 50 play and finish, and the broker carried the media chunks
 *   once (one multicast, plus bounded extra rounds), not once per receiver, counted on the wire.
 * The cloud serves media in 8 KiB chunks here (64 KiB in production) so a few-second bulletin is several chunks.
 */
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeliveryFactory } from "@loa/cloud";
import { chunkCount, type Play } from "@loa/shared";
import { createDelivery } from "../cloud/src/delivery/index.js";
import {
  agents, broadcast, idsOf, playsOf, playsSettled, startAgentCloud, toneBulletin, type AgentCloud,
} from "./support/agent-cloud.js";
import { expectOnTime, secondAfter } from "./support/on-time.js";
import { until } from "./support/wait.js";

const CHUNK = 8 * 1024;
/** 50 agents on one event loop of a 2-core machine start less tightly (docs/simulator.md "Start precision at scale"). */
const FLEET_START_TOLERANCE_MS = 250;

/** The team's delivery (as DEFAULT_DELIVERY wires it) with small media chunks. */
const smallChunks: DeliveryFactory = (deps) => {
  const d = createDelivery({ ...deps, config: { ...deps.config, chunkSize: CHUNK } });
  return {
    routes: d.routes, start: () => d.start(), close: () => d.close(), replan: (reason) => d.replan(reason),
    onChange: (listener) => d.onChange((change) => listener({ ...change })),
    allowMedia: (ref, untilMs) => d.allowMedia(ref, untilMs), stats: () => ({ ...d.stats() }),
  };
};

let ac: AgentCloud;

beforeAll(async () => {
  ac = await startAgentCloud("delivery-agents-fleet", 2, { delivery: smallChunks });
}, 60_000);

afterAll(async () => {
  await ac?.close();
});

/** Every MQTT publish on `loa/v1/media/+/+`, seen by one more subscriber (the cloud's own broker login). */
async function mediaCounter(): Promise<{ client: MqttClient; count: (sha256: string) => number }> {
  const creds = ac.cloud.broker?.cloudCredentials();
  if (!creds) throw new Error("the test cloud has no embedded broker");
  const client = await connectAsync(creds.url, { clientId: `media-counter-${Date.now()}`, username: creds.username, password: creds.password, reconnectPeriod: 0 });
  const seen = new Map<string, number>();
  client.on("message", (topic) => {
    const sha = topic.split("/")[3] ?? "";
    seen.set(sha, (seen.get(sha) ?? 0) + 1);
  });
  await client.subscribeAsync(`${ac.cloud.config.mqttPrefix}/media/+/+`, { qos: 1 });
  return { client, count: (sha) => seen.get(sha) ?? 0 };
}

type MediaCounts = { requests: number; coalescedRequests: number; rounds: number; chunksPublished: number };
/** The distributor's counters (cloud/src/delivery/README.md `stats()`), cumulative since the cloud started. */
const mediaStats = (): MediaCounts => (ac.cloud.delivery?.stats() as { media: MediaCounts }).media;

const skewOf = (starts: readonly { startedAtMs: number }[], at: number): number[] => starts.map((s) => s.startedAtMs - at).sort((a, b) => a - b);

describe("delivery to fleets of real edge agents", () => {
  it("an emergency now pre-empts a long normal play on every target; it plays and finishes everywhere", async () => {
    const village = ac.villages[0] ?? "";
    const fleet = await agents(ac, "four", 4, village);
    const ids = idsOf(fleet);
    const long = await toneBulletin(ac.api, 30, 392);
    const alarm = await toneBulletin(ac.api, 2, 880);
    const at = secondAfter(6000);
    const normal = await broadcast(ac.api, long.id, [village], { at });
    const onAir = await until("the normal play on air everywhere", () => {
      const p = fleet.fleet.plays({ playId: normal.id });
      return p.length === ids.length && p.every((r) => r.status === "playing") ? p : undefined;
    }, 20_000);
    console.log(JSON.stringify({ test: "delivery-agents.emergency", normalStartSkewMs: skewOf(onAir, at) }));
    expectOnTime(onAir.map((r) => r.startedAtMs), at);
    await playsSettled(ac.api, normal.id, ids, (p) => p.status === "started", 5_000);

    const sentAt = Date.now();
    const emergency = await broadcast(ac.api, alarm.id, [village], "now", "emergency");
    expect(emergency).toMatchObject({ targetDevices: 4, plannedPlays: 4 });
    const done = await playsSettled(ac.api, emergency.id, ids, (p) => p.status === "finished", 20_000);
    const emergencyPlayId = done[0]?.playId ?? "";
    expect(done.every((p) => p.playId === emergencyPlayId)).toBe(true);
    const cut = await playsSettled(ac.api, normal.id, ids, (p) => p.status === "interrupted", 5_000);
    for (const p of cut) {
      expect(p.reason).toBe(`interrupted by ${emergencyPlayId}`);
      expect(p.playedMs ?? Number.POSITIVE_INFINITY).toBeLessThan(long.durationMs);
    }
    // On the receivers: each normal play was cut (never restarted), each emergency started after it began.
    const normals = fleet.fleet.plays({ playId: normal.id });
    expect(normals.map((r) => r.status)).toEqual(["stopped", "stopped", "stopped", "stopped"]);
    const alarms = fleet.fleet.plays({ playId: emergency.id });
    expect(alarms.map((r) => r.deviceId).sort()).toEqual([...ids].sort());
    expect(alarms.every((r) => r.status === "finished" && r.startedAtMs >= sentAt)).toBe(true);
    const latency = alarms.map((r) => r.startedAtMs - sentAt).sort((a, b) => a - b);
    console.log(JSON.stringify({ test: "delivery-agents.emergency", emergencyStartAfterPostMs: latency, normalPlayedMs: cut.map((p) => p.playedMs) }));
    await fleet.stop();
  }, 60_000);

  it("50 receivers: one broadcast at T plays and finishes on all 50; the media went out as one multicast", async () => {
    const village = ac.villages[1] ?? "";
    const fleet = await agents(ac, "fifty", 50, village, 3000);
    const ids = idsOf(fleet);
    const counter = await mediaCounter();
    try {
      const bulletin = await toneBulletin(ac.api, 4, 587);
      const chunks = chunkCount({ bytes: bulletin.bytes, chunkSize: CHUNK });
      expect(chunks).toBeGreaterThanOrEqual(2);
      const before = mediaStats();
      const at = secondAfter(15_000);
      const created = await broadcast(ac.api, bulletin.id, [village], { at });
      expect(created).toMatchObject({ targetDevices: 50, plannedPlays: 50 });
      const plays: Play[] = await playsSettled(ac.api, created.id, ids, (p) => p.status === "finished", at - Date.now() + 30_000);
      expect(new Set(plays.map((p) => p.deviceId)).size).toBe(50);
      const starts = fleet.fleet.plays({ playId: created.id });
      expect(new Set(starts.map((r) => r.deviceId)).size).toBe(50);
      const skew = skewOf(starts, at);
      const published = counter.count(bulletin.sha256);
      const after = mediaStats();
      const media = { requests: after.requests - before.requests, coalescedRequests: after.coalescedRequests - before.coalescedRequests, rounds: after.rounds - before.rounds, chunksPublished: after.chunksPublished - before.chunksPublished };
      console.log(JSON.stringify({
        test: "delivery-agents.fifty", chunks, chunkPublishesOnWire: published, media,
        startSkewMs: { min: skew[0], p50: skew[25], max: skew.at(-1) },
      }));
      // One multicast: every chunk at least once, a few extra rounds at most (late askers), never one per receiver.
      expect(published).toBeGreaterThanOrEqual(chunks);
      expect(published).toBeLessThanOrEqual(chunks * 3);
      expect(media.chunksPublished).toBe(published);
      for (const s of skew) expect(Math.abs(s)).toBeLessThanOrEqual(FLEET_START_TOLERANCE_MS);
      expect((await playsOf(ac.api, created.id)).length).toBe(50);
    } finally {
      await counter.client.endAsync(true);
    }
  }, 150_000);
});
