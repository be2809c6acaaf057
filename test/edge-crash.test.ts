/**
 * The receiver as a real process (`node edge-agent/dist/main.js --config edge.json`) killed with SIGKILL and
 * restarted on the same data directory (ARCHITECTURE §3 "Nothing lost", media resume). Real aedes broker,
 * cloud double, real ffmpeg into the file sink; no amplifier (`amp.transport: "none"`: edge-agent cannot run
 * the firmware simulator in-process without depending on it).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ffmpegDecodeArgs, parseWav, wavFileNameOf } from "../edge-agent/src/adapters/audio/index.js";
import { resolveFfmpegPath } from "../edge-agent/src/adapters/audio/ffmpeg-path.js";
import type { EdgeChild } from "./fixtures/edge-child.js";
import { waitUntil, type FakeCloud } from "./fixtures/edge-cloud.js";
import { makeBulletin } from "./fixtures/edge-harness.js";
import { EdgeProcessRig, planOf } from "./fixtures/edge-process.js";
import { ensureBuilt } from "./support/processes.js";

const DEVICE = "dev_edge_crash";
const TOKEN = "tok-edge-crash";
const run = promisify(execFile);

let dir = "";
let cloud: FakeCloud;
let rig: EdgeProcessRig;

beforeAll(() => ensureBuilt(), 320_000);

beforeEach(async () => {
  rig = await EdgeProcessRig.start({ deviceId: DEVICE, token: TOKEN, tmpPrefix: "loa-edge-crash-" });
  ({ dir, cloud } = rig);
  await mkdir(join(dir, "media-src"));
});

afterEach(() => rig.close());

const startChild = (): EdgeChild => rig.startChild();

/** Chunk indexes the download's sidecar log says are on disk. */
async function loggedChunks(sha256: string): Promise<Set<number>> {
  const text = await readFile(join(dir, "data", "media", `${sha256}.part.log`), "utf8").catch(() => "");
  const got = new Set<number>();
  for (const line of text.split("\n")) {
    try {
      const rec = JSON.parse(line) as { c?: number[] };
      for (const i of rec.c ?? []) got.add(i);
    } catch {
      // a torn line: not on disk for sure
    }
  }
  return got;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe("receiver process: kill -9 mid-download", () => {
  it("resumes from the .part after a restart: only the chunks not on disk are asked again; sha256 verified", { timeout: 60_000 }, async () => {
    const ref = cloud.addMedia(await makeBulletin(join(dir, "media-src"), "big", 300, 6_000), 6_000);
    const total = cloud.chunkCountOf(ref.sha256);
    expect(total).toBeGreaterThan(20);
    cloud.chunkHook = (_sha, index, _data, requestNo) => (requestNo === 1 && index >= 10 ? "drop" : "send");
    await cloud.publishPlan(planOf(1, [{ playId: "bc_big:1", at: Date.now() + 3_600_000, media: ref }]));

    const first = startChild();
    await waitUntil("10 chunks sent", () => cloud.chunksSent.length >= 10, 15_000);
    await waitUntil("10 chunks logged durably", async () => (await loggedChunks(ref.sha256)).size >= 10, 10_000);
    await first.kill9();
    expect(cloud.events("media_ready")).toEqual([]);

    cloud.chunkHook = () => "send";
    const second = startChild();
    await waitUntil("media_ready after the restart", () => cloud.events("media_ready").length === 1, 20_000);
    expect(cloud.mediaReqs.map((r) => r.missing)).toEqual([range(0, total), range(10, total)]);
    const file = await readFile(join(dir, "data", "media", `${ref.sha256}.opus`));
    expect(createHash("sha256").update(file).digest("hex")).toBe(ref.sha256);
    expect(cloud.seqConflicts).toEqual([]);
    expect(await second.stop()).toEqual({ code: 0, signal: null });
  });

  it("a chunk damaged in transit is detected, every chunk asked again, and only the verified file plays", { timeout: 60_000 }, async () => {
    const good = await makeBulletin(join(dir, "media-src"), "c", 520, 1_500);
    const ref = cloud.addMedia(good, 1_500);
    const total = cloud.chunkCountOf(ref.sha256);
    cloud.chunkHook = (_sha, index, data, requestNo) => {
      if (requestNo !== 1 || index !== 3) return "send";
      const bad = Buffer.from(data);
      bad[100] = (bad[100] ?? 0) ^ 0xff;
      return bad;
    };
    const child = startChild();
    await waitUntil("child online", () => cloud.status.some((s) => s.online), 10_000);
    const at = Math.ceil((Date.now() + 4_000) / 100) * 100;
    const playId = `bc_c:${at}`;
    await cloud.publishPlan(planOf(1, [{ playId, at, media: ref }]));
    await waitUntil("play finished and acked", () => cloud.eventsOf(playId).some((e) => e.type === "play_finished"), 20_000);

    expect(cloud.mediaReqs.map((r) => r.missing)).toEqual([range(0, total), range(0, total)]);
    expect(child.has("media sha256 mismatch: download dropped, fetching every chunk again")).toBe(true);
    expect(cloud.events("media_ready")).toHaveLength(1);
    const ready = cloud.events("media_ready")[0]?.seq ?? Infinity;
    expect(cloud.eventsOf(playId).map((e) => e.type)).toEqual(["play_started", "play_finished"]);
    expect(cloud.eventsOf(playId)[0]?.seq ?? 0).toBeGreaterThan(ready);
    // What was played is exactly the verified bulletin, sample for sample.
    const wav = await readFile(join(dir, "capture", wavFileNameOf(playId)));
    const info = parseWav(wav);
    const { stdout } = await run(resolveFfmpegPath(), ffmpegDecodeArgs(join(dir, "media-src", "c.ogg")), { encoding: "buffer", maxBuffer: 64 * 1024 * 1024 });
    expect(wav.subarray(info.dataOffset).equals(stdout)).toBe(true);
    expect(await child.stop()).toEqual({ code: 0, signal: null });
  });
});

describe("receiver process: kill -9 mid-play", () => {
  it("reports the cut play after the restart (failed, with the reason), never replays it, never reuses a seq", { timeout: 60_000 }, async () => {
    const ref = cloud.addMedia(await makeBulletin(join(dir, "media-src"), "long", 400, 4_000), 4_000);
    const first = startChild();
    await waitUntil("child online", () => cloud.status.some((s) => s.online), 10_000);
    const at = Math.ceil((Date.now() + 3_000) / 100) * 100;
    const playId = `bc_long:${at}`;
    await cloud.publishPlan(planOf(1, [{ playId, at, media: ref }]));
    await waitUntil("play started reported", () => cloud.eventsOf(playId).some((e) => e.type === "play_started"), 15_000);
    await new Promise((r) => setTimeout(r, 500));
    await first.kill9();
    const seqsBefore = Math.max(...cloud.stored.keys());

    const second = startChild();
    await waitUntil("cut play reported", () => cloud.eventsOf(playId).some((e) => e.type === "play_failed"), 15_000);
    const events = cloud.eventsOf(playId);
    expect(events.find((e) => e.type === "play_failed")).toMatchObject({ reason: "agent_restarted_during_play" });
    expect(events.some((e) => e.type === "play_finished" || e.type === "play_interrupted")).toBe(false);
    const startedAts = new Set(events.flatMap((e) => (e.type === "play_started" ? [e.startedAt] : [])));
    expect(startedAts.size).toBe(1);
    // Reported with a new seq, above everything the first run handed out.
    expect(events.find((e) => e.type === "play_failed")?.seq ?? 0).toBeGreaterThan(seqsBefore);
    expect(cloud.seqConflicts).toEqual([]);
    // Not played again from the top (the rest of its window is still open).
    await new Promise((r) => setTimeout(r, 1_000));
    expect(second.has("play started")).toBe(false);
    expect(await second.stop()).toEqual({ code: 0, signal: null });
  });

  it("SIGTERM during a play: play_interrupted, outbox on disk, offline status with its bootId, exit 0", { timeout: 60_000 }, async () => {
    const ref = cloud.addMedia(await makeBulletin(join(dir, "media-src"), "long", 400, 4_000), 4_000);
    const first = startChild();
    await waitUntil("child online", () => cloud.status.some((s) => s.online), 10_000);
    const birth = cloud.status.find((s) => s.online);
    const at = Math.ceil((Date.now() + 3_000) / 100) * 100;
    const playId = `bc_term:${at}`;
    await cloud.publishPlan(planOf(1, [{ playId, at, media: ref }]));
    await waitUntil("play started reported", () => cloud.eventsOf(playId).some((e) => e.type === "play_started"), 15_000);
    cloud.autoAck = false;
    expect(await first.stop()).toEqual({ code: 0, signal: null });
    expect(cloud.status[cloud.status.length - 1]).toEqual({ online: false, bootId: birth?.bootId });

    // Not acked before the exit: it is on disk and the next process sends it again.
    cloud.autoAck = true;
    const batchesBefore = cloud.batches.length;
    const second = startChild();
    await second.waitForLog((l) => l.msg === "agent started", "agent started");
    await waitUntil("play_interrupted resent by the next process", () =>
      cloud.batches.slice(batchesBefore).some((b) => b.events.some((e) => e.type === "play_interrupted" && e.playId === playId)), 15_000);
    const cut = cloud.eventsOf(playId).find((e) => e.type === "play_interrupted");
    expect(cut).not.toHaveProperty("byPlayId");
    expect(cut).not.toHaveProperty("byCmdId");
    expect(cut?.type === "play_interrupted" ? cut.playedMs : 0).toBeGreaterThan(0);
    expect(cloud.seqConflicts).toEqual([]);
    expect(await second.stop()).toEqual({ code: 0, signal: null });
  });
});
