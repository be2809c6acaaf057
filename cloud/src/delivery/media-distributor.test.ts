/**
 * Media multicast (ARCHITECTURE §3 "Media over MQTT, pulled then multicast"): requests coalesced within the
 * window, each chunk published once per round, unreferenced media refused, the bandwidth cap held.
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { FakeClock, type MediaRef } from "@loa/shared";
import { MediaDistributor, REFUSAL_LOG_MS } from "./media-distributor.js";
import { MemoryDeliveryBus } from "./memory-bus.js";
import { MemoryMediaSource, audio, silent } from "./delivery.fixture.js";

const CHUNK = 65_536;

function setup(opts: { maxBytesPerSec?: number; windowMs?: number; maxWaitMs?: number; burstBytes?: number; bytes?: number } = {}) {
  const clock = new FakeClock(Date.UTC(2026, 2, 2));
  const bus = new MemoryDeliveryBus();
  const source = new MemoryMediaSource();
  const { data, sha256 } = audio("m", opts.bytes ?? 200_000);
  source.add(data, sha256);
  const ref: MediaRef = { sha256, bytes: data.length, chunkSize: CHUNK, durationMs: 60_000, codec: "opus" };
  const media = new MediaDistributor({
    bus, source, clock, log: silent,
    referenced: (sha) => (sha === sha256 ? ref : undefined),
    windowMs: opts.windowMs ?? 250,
    ...(opts.maxWaitMs !== undefined ? { maxWaitMs: opts.maxWaitMs } : {}),
    maxBytesPerSec: opts.maxBytesPerSec ?? 0,
    ...(opts.burstBytes !== undefined ? { burstBytes: opts.burstBytes } : {}),
  });
  return { clock, bus, source, media, data, sha256, chunks: Math.ceil(data.length / CHUNK) };
}

const all = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

function perChunk(bus: MemoryDeliveryBus): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of bus.of("media")) out.set(m.index, (out.get(m.index) ?? 0) + 1);
  return out;
}

describe("MediaDistributor", () => {
  it("50 devices asking for the same file at once: each chunk goes out once, with the right bytes", async () => {
    const s = setup();
    for (let i = 0; i < 50; i++) s.media.onRequest(`d${i}`, { sha256: s.sha256, missing: all(s.chunks) });
    expect(s.bus.of("media")).toEqual([]); // nothing before the window closes
    await s.clock.advance(250);
    expect([...perChunk(s.bus).entries()]).toEqual(all(s.chunks).map((i) => [i, 1]));
    expect(Buffer.concat(s.bus.of("media").sort((a, b) => a.index - b.index).map((m) => m.data))).toEqual(s.data);
    expect(s.media.stats()).toMatchObject({ requests: 50, coalescedRequests: 49, chunksPublished: s.chunks, bytesPublished: s.data.length, refusedRequests: 0, rounds: 1 });
  });

  it("50 devices asking over a spread of time: no chunk goes out more than twice", async () => {
    const s = setup({ bytes: 20 * CHUNK, maxBytesPerSec: 4 * CHUNK, burstBytes: CHUNK });
    for (let i = 0; i < 50; i++) {
      // Each device still lacks a different tail of the file, and asks a little after the previous one.
      s.media.onRequest(`d${i}`, { sha256: s.sha256, missing: all(20).slice(i % 5) });
      await s.clock.advance(40);
    }
    await s.clock.advance(30_000);
    const counts = [...perChunk(s.bus).values()];
    expect(counts).toHaveLength(20);
    expect(Math.max(...counts)).toBeLessThanOrEqual(2);
    expect(s.media.stats().chunksPublished).toBeLessThan(40);
  });

  it("1,000 requests spread over 1.5 s (a `now` broadcast's targets asking): one round, each chunk once", async () => {
    const s = setup();
    for (let i = 0; i < 1000; i++) {
      s.media.onRequest(`d${i}`, { sha256: s.sha256, missing: all(s.chunks) });
      await s.clock.advance(1.5);
    }
    expect(s.bus.of("media")).toEqual([]); // still asking: nothing sent yet (a fixed 250 ms window sent at 250 ms)
    await s.clock.advance(248); // the last request came 1.5 ms ago: its quiet time ends 1.5 ms before 250 from now
    expect(s.bus.of("media")).toEqual([]);
    await s.clock.advance(1);
    expect([...perChunk(s.bus).entries()]).toEqual(all(s.chunks).map((i) => [i, 1]));
    expect(s.media.stats()).toMatchObject({ requests: 1000, rounds: 1, chunksPublished: s.chunks });
  });

  it("requests that never stop do not hold the file back: a round starts maxWaitMs after the first", async () => {
    const s = setup({ maxWaitMs: 2000 });
    const firstSentAt: number[] = [];
    const start = s.clock.now();
    for (let i = 0; i < 100; i++) {
      s.media.onRequest(`d${i}`, { sha256: s.sha256, missing: all(s.chunks) });
      await s.clock.advance(100);
      if (firstSentAt.length === 0 && s.bus.of("media").length > 0) firstSentAt.push(s.clock.now() - start);
    }
    expect(firstSentAt[0]).toBeGreaterThanOrEqual(2000);
    expect(firstSentAt[0]).toBeLessThanOrEqual(2100);
    // Later askers are served in later rounds, each at most maxWaitMs apart: about one round per 2 s of asking.
    await s.clock.advance(5000);
    expect(s.media.stats().rounds).toBeGreaterThanOrEqual(4);
    expect(s.media.stats().rounds).toBeLessThanOrEqual(6);
  });

  it("a device asking after the round ended still gets the whole file (a new round)", async () => {
    const s = setup();
    s.media.onRequest("early", { sha256: s.sha256, missing: all(s.chunks) });
    await s.clock.advance(1000);
    expect(s.bus.of("media")).toHaveLength(s.chunks);
    s.media.onRequest("late", { sha256: s.sha256, missing: all(s.chunks) });
    await s.clock.advance(1000);
    expect([...perChunk(s.bus).entries()]).toEqual(all(s.chunks).map((i) => [i, 2]));
    expect(s.media.stats().rounds).toBe(2);
  });

  it("a request for a chunk already sent in this round is served again in the next round (the asker may have missed it)", async () => {
    const s = setup({ maxBytesPerSec: CHUNK, burstBytes: CHUNK });
    s.media.onRequest("a", { sha256: s.sha256, missing: [0, 1, 2] });
    await s.clock.advance(250); // chunk 0 goes at once, then one chunk a second
    expect(s.bus.of("media").map((m) => m.index)).toEqual([0]);
    s.media.onRequest("b", { sha256: s.sha256, missing: [0, 1, 2] }); // 1 and 2 are still queued
    await s.clock.advance(10_000);
    expect(s.bus.of("media").map((m) => m.index)).toEqual([0, 1, 2, 0]);
  });

  it("refuses and counts requests for media no plan references; ignores indexes past the end", async () => {
    const s = setup();
    s.media.onRequest("d1", { sha256: "f".repeat(64), missing: [0, 1] });
    s.media.onRequest("d1", { sha256: s.sha256, missing: [0, 99] });
    await s.clock.advance(1000);
    expect(s.bus.of("media").map((m) => [m.sha256, m.index])).toEqual([[s.sha256, 0]]);
    expect(s.media.stats()).toMatchObject({ refusedRequests: 1, badIndexes: 1, chunksPublished: 1 });
  });

  it("logs refusals of a file as one warning, then one line per minute with how many followed", async () => {
    const lines: Array<{ msg: string; sha256?: string; requests?: number; devices?: number }> = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]), done()) });
    const clock = new FakeClock(Date.UTC(2026, 2, 2));
    const media = new MediaDistributor({ bus: new MemoryDeliveryBus(), source: new MemoryMediaSource(), clock, log: pino({ level: "warn" }, sink), referenced: () => undefined, maxBytesPerSec: 0 });
    const gone = "a".repeat(64);
    // A restarted cloud: 500 receivers ask once each for a bulletin that already played, a few twice.
    for (let i = 0; i < 500; i++) media.onRequest(`d${i}`, { sha256: gone, missing: [0] });
    for (let i = 0; i < 10; i++) media.onRequest(`d${i}`, { sha256: gone, missing: [0] });
    media.onRequest("d1", { sha256: "b".repeat(64), missing: [0] });
    await clock.advance(REFUSAL_LOG_MS - 1);
    const refusedLines = () => lines.filter((l) => l.msg.includes("no plan references"));
    expect(refusedLines()).toHaveLength(2); // the first of each file
    await clock.advance(1);
    expect(refusedLines()).toHaveLength(3);
    expect(refusedLines()[2]).toMatchObject({ sha256: gone, requests: 509, devices: 500 });
    expect(media.stats().refusedRequests).toBe(511);
    // A minute later the next refusal of that file warns again.
    media.onRequest("d7", { sha256: gone, missing: [0] });
    expect(refusedLines()).toHaveLength(4);
    await media.close();
    expect(refusedLines()).toHaveLength(4); // nothing followed it: no summary line
  });

  it("holds the bandwidth cap: bytes sent by any time stay within burst + rate × elapsed", async () => {
    const rate = 2 * CHUNK;
    const s = setup({ bytes: 40 * CHUNK, maxBytesPerSec: rate, burstBytes: CHUNK });
    s.media.onRequest("d1", { sha256: s.sha256, missing: all(40) });
    const start = s.clock.now();
    const samples: Array<[number, number]> = [];
    for (let t = 0; t < 25; t++) {
      await s.clock.advance(1000);
      samples.push([s.clock.now() - start, s.media.stats().bytesPublished]);
    }
    for (const [elapsed, bytes] of samples) expect(bytes).toBeLessThanOrEqual(CHUNK + (rate * elapsed) / 1000);
    // ... and it is not idle either: all 40 chunks are out by about 20 s.
    expect(s.media.stats().chunksPublished).toBe(40);
    const done = samples.find(([, b]) => b === 40 * CHUNK)?.[0] ?? Infinity;
    expect(done).toBeGreaterThanOrEqual(19_000);
    expect(done).toBeLessThanOrEqual(21_000);
  });

  it("does not serve a file whose size differs from the plan's reference", async () => {
    const s = setup();
    s.source.files.set(s.sha256, Buffer.alloc(10));
    s.media.onRequest("d1", { sha256: s.sha256, missing: [0] });
    await s.clock.advance(1000);
    expect(s.bus.of("media")).toEqual([]);
    expect(s.media.stats().fileErrors).toBe(1);
  });
});
