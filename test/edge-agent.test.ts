/**
 * The receiver end to end (ARCHITECTURE §3, §5, §6) on the real clock: the Agent in-process with MqttJsLink
 * on a real aedes broker (127.0.0.1, port 0), a cloud test double (fixtures/edge-cloud.ts), the firmware
 * simulator as the amplifier over an in-memory serial line, and real ffmpeg decoding into the WAV sink.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { DeviceEvent } from "@loa/shared";
import { parseWav } from "@loa/edge-agent";
import { readFile } from "node:fs/promises";
import type { TestBroker } from "../edge-agent/src/adapters/mqtt/aedes-broker.fixture.js";
import { openEdgeWorld, waitUntil, type EdgeWorld, type FakeCloud } from "./fixtures/edge-cloud.js";
import { makeBulletin, startEdge, type EdgeUnderTest } from "./fixtures/edge-harness.js";
import { planOf as plan } from "./fixtures/edge-process.js";

const DEVICE = "dev_edge_it";
const TOKEN = "tok-edge-it";

let mediaDir = "";
const bulletins: Record<"a" | "b" | "long", Buffer> = { a: Buffer.alloc(0), b: Buffer.alloc(0), long: Buffer.alloc(0) };
const DURATION = { a: 1_000, b: 800, long: 3_000 };

beforeAll(async () => {
  mediaDir = await mkdtemp(join(tmpdir(), "loa-edge-media-"));
  bulletins.a = await makeBulletin(mediaDir, "a", 440, DURATION.a);
  bulletins.b = await makeBulletin(mediaDir, "b", 660, DURATION.b);
  bulletins.long = await makeBulletin(mediaDir, "long", 330, DURATION.long);
  return () => rm(mediaDir, { recursive: true, force: true });
});

let world: EdgeWorld;
let dir = "";
let broker: TestBroker;
let cloud: FakeCloud;
let edge: EdgeUnderTest | undefined;

beforeEach(async () => {
  world = await openEdgeWorld({ deviceId: DEVICE, token: TOKEN, tmpPrefix: "loa-edge-it-" });
  ({ dir, broker, cloud } = world);
});

afterEach(async () => {
  await edge?.stop();
  edge = undefined;
  await world.close();
});

/** A plan time `ms` from now, on a 100 ms boundary. */
const inMs = (ms: number): number => Math.ceil((Date.now() + ms) / 100) * 100;
const iso = (ms: number): string => new Date(ms).toISOString();

function started(playId: string): Extract<DeviceEvent, { type: "play_started" }> {
  const e = cloud.eventsOf(playId).find((x) => x.type === "play_started");
  if (!e || e.type !== "play_started") throw new Error(`no play_started for ${playId}`);
  return e;
}

const start = (options = {}) => startEdge({ dir, url: broker.deviceUrl, deviceId: DEVICE, token: TOKEN, options });

describe("receiver: plan, media, play, report", () => {
  it("plays two plays at fixed times: whole bulletins, on the second, reported in seq order", { retry: 1, timeout: 30_000 }, async () => {
    const a = cloud.addMedia(bulletins.a, DURATION.a);
    const b = cloud.addMedia(bulletins.b, DURATION.b);
    edge = await start();
    const at1 = inMs(3_500);
    const at2 = at1 + 2_000;
    await cloud.publishPlan(plan(1, [{ playId: `bc_a:${at1}`, at: at1, media: a }, { playId: `bc_b:${at2}`, at: at2, media: b }]));
    await waitUntil("both plays finished and acked", () => cloud.events("play_finished").length === 2 && edge?.agent.parts.outbox.depth() === 0, 15_000);

    for (const [playId, at, durationMs] of [[`bc_a:${at1}`, at1, DURATION.a], [`bc_b:${at2}`, at2, DURATION.b]] as const) {
      const lateMs = Date.parse(started(playId).startedAt) - at;
      expect(lateMs, `${playId} start vs at`).toBeGreaterThanOrEqual(0);
      expect(lateMs, `${playId} start vs at`).toBeLessThanOrEqual(20);
      const wav = parseWav(await readFile(edge.sink.fileOf(playId)));
      expect(wav).toMatchObject({ sampleRate: 48_000, channels: 1, bitsPerSample: 16 });
      expect(Math.abs(wav.durationMs - durationMs), `${playId} captured duration`).toBeLessThanOrEqual(50);
      const finished = cloud.eventsOf(playId).find((e) => e.type === "play_finished");
      expect(finished).toMatchObject({ playedMs: Math.round(wav.durationMs) });
    }
    const types = cloud.events().map((e) => e.type);
    expect(types.slice(0, 3).sort()).toEqual(["media_ready", "media_ready", "plan_applied"]);
    expect(types[0]).toBe("plan_applied");
    expect(types.slice(3)).toEqual(["play_started", "play_finished", "play_started", "play_finished"]);
    const seqs = cloud.events().map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(cloud.events("media_ready").map((e) => (e.type === "media_ready" ? e.sha256 : "")).sort()).toEqual([a.sha256, b.sha256].sort());
    expect(cloud.seqConflicts).toEqual([]);
    expect(cloud.protocolErrors).toEqual([]);
    // The amplifier was really driven: powered on muted, unmuted for the plays, muted after.
    expect(edge.engine.state().registers.mute).toBe(1);
  });
});

describe("receiver: offline, pre-emption, amplifier faults", () => {
  it("plays on time with the broker down; its events arrive after it is back, each stored once and acked", { timeout: 40_000 }, async () => {
    const a = cloud.addMedia(bulletins.a, DURATION.a);
    edge = await start();
    const at = inMs(4_000);
    const playId = `bc_off:${at}`;
    await cloud.publishPlan(plan(1, [{ playId, at, media: a }]));
    await waitUntil("media ready and acked", () => cloud.events("media_ready").length === 1 && edge?.agent.parts.outbox.depth() === 0, 10_000);
    let backAt = 0;
    edge.link.on("online", () => void (backAt ||= Date.now()));
    // Down before `at`, up again well after the play ended (a broker restart: sessions and retained plan gone).
    const restarted = broker.restart(at + DURATION.a + 1_500 - Date.now());
    await waitUntil("link offline", () => edge?.link.online === false, 3_000);
    expect(Date.now()).toBeLessThan(at - 300);
    await restarted;
    await waitUntil("play reported and acked", () => cloud.events("play_finished").length === 1 && edge?.agent.parts.outbox.depth() === 0, 20_000);

    const startedAt = Date.parse(started(playId).startedAt);
    expect(startedAt - at).toBeGreaterThanOrEqual(0);
    expect(startedAt - at).toBeLessThanOrEqual(20);
    expect(startedAt + DURATION.a).toBeLessThan(backAt);
    expect(cloud.eventsOf(playId).map((e) => e.type)).toEqual(["play_started", "play_finished"]);
    // Nothing more is sent once acked.
    const batches = cloud.batches.length;
    await new Promise((r) => setTimeout(r, 1_000));
    expect(cloud.batches.length).toBe(batches);
    expect(cloud.seqConflicts).toEqual([]);
  });

  it("an emergency play_now pre-empts a normal play: play_interrupted{byPlayId} then play_started", { timeout: 30_000 }, async () => {
    const long = cloud.addMedia(bulletins.long, DURATION.long);
    const emergency = cloud.addMedia(bulletins.b, DURATION.b);
    edge = await start();
    const at = inMs(3_000);
    const normal = `bc_long:${at}`;
    await cloud.publishPlan(plan(1, [{ playId: normal, at, media: long }]));
    await waitUntil("normal play on air", () => edge?.playerEvents.some((e) => e.type === "play_started") === true, 10_000);
    await new Promise((r) => setTimeout(r, 500));
    const emgId = "bc_emg:1";
    await cloud.sendCmd({ cmdId: "c_emg", type: "play_now", args: { playId: emgId, media: emergency, priority: "emergency" }, expiresAt: iso(Date.now() + 60_000) });
    await waitUntil("emergency finished and acked", () => cloud.eventsOf(emgId).some((e) => e.type === "play_finished") && edge?.agent.parts.outbox.depth() === 0, 15_000);

    const cut = cloud.eventsOf(normal).find((e) => e.type === "play_interrupted");
    expect(cut).toMatchObject({ type: "play_interrupted", byPlayId: emgId });
    const playedMs = cut?.type === "play_interrupted" ? cut.playedMs : -1;
    expect(playedMs).toBeGreaterThan(400);
    expect(playedMs).toBeLessThan(DURATION.long);
    expect(cloud.eventsOf(emgId).map((e) => e.type)).toEqual(["play_started", "play_finished"]);
    expect(cut?.seq ?? 0).toBeLessThan(cloud.eventsOf(emgId)[1]?.seq ?? 0);
    expect(cloud.cmdRes.find((r) => r.cmdId === "c_emg")).toMatchObject({ ok: true, result: { playId: emgId, status: "started" } });
    // The normal play is not played again from the top.
    expect(cloud.eventsOf(normal).filter((e) => e.type === "play_started")).toHaveLength(1);
  });

  it("the amplifier stops answering during a play: the play is still reported honestly, plus amp_fault{unreachable}", { timeout: 30_000 }, async () => {
    const a = cloud.addMedia(bulletins.a, DURATION.a);
    edge = await start({ ampUnreachableAfter: 2, ampPollMs: 300 });
    const at = inMs(3_500);
    const playId = `bc_amp:${at}`;
    await cloud.publishPlan(plan(1, [{ playId, at, media: a }]));
    await waitUntil("media ready", () => cloud.events("media_ready").length === 1, 10_000);
    edge.engine.setFault("no_response", true);
    await waitUntil("play reported", () => cloud.eventsOf(playId).some((e) => e.type === "play_finished" || e.type === "play_failed"), 15_000);
    await waitUntil("amp_fault reported", () => cloud.events("amp_fault").length > 0, 5_000);

    expect(cloud.eventsOf(playId).map((e) => e.type)).toEqual(["play_started", "play_finished"]);
    const wav = parseWav(await readFile(edge.sink.fileOf(playId)));
    expect(Math.abs(wav.durationMs - DURATION.a)).toBeLessThanOrEqual(50);
    expect(cloud.events("amp_fault").every((e) => e.type === "amp_fault" && e.code === "unreachable")).toBe(true);
    edge.engine.setFault("no_response", false);
    await waitUntil("amp_recovered reported", () => cloud.events("amp_recovered").some((e) => e.type === "amp_recovered" && e.code === "unreachable"), 5_000);
  });
});
