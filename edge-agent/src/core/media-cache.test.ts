import { createHash, randomBytes } from "node:crypto";
import { appendFile, mkdtemp, readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "@loa/shared";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NodeDurableFs } from "../adapters/fs/node-fs.js";
import { MediaCache, MediaCacheError } from "./media-cache.js";
import type { MediaCacheDeps, MediaSpec } from "./media-cache.js";

const log = pino({ level: "silent" });
const CHUNK = 1024;
let dir: string;
let clock: FakeClock;
/** Instances left open on purpose (a simulated crash) are closed after the test. */
let opened: MediaCache[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "loa-media-"));
  clock = new FakeClock(Date.UTC(2026, 0, 1));
});
afterEach(async () => {
  for (const c of opened) await c.close();
  opened = [];
  await rm(dir, { recursive: true, force: true });
});

interface Media {
  spec: MediaSpec;
  data: Buffer;
  chunk(i: number): Buffer;
  count: number;
}

/** Random content of `bytes` bytes in CHUNK-sized chunks (the last one short unless bytes divides). */
function media(bytes: number, codec = "opus"): Media {
  const data = randomBytes(bytes);
  const sha256 = createHash("sha256").update(data).digest("hex");
  return {
    spec: { sha256, bytes, chunkSize: CHUNK, codec },
    data,
    chunk: (i) => data.subarray(i * CHUNK, Math.min(bytes, (i + 1) * CHUNK)),
    count: Math.ceil(bytes / CHUNK),
  };
}

async function openCache(opts: Partial<MediaCacheDeps> = {}): Promise<MediaCache> {
  const cache = new MediaCache({ fs: new NodeDurableFs(), dir, clock, log, maxBytes: 1 << 30, ...opts });
  await cache.open();
  opened.push(cache);
  return cache;
}

async function download(cache: MediaCache, m: Media): Promise<void> {
  await cache.begin(m.spec);
  for (let i = 0; i < m.count; i++) await cache.writeChunk(m.spec.sha256, i, m.chunk(i));
  expect(cache.has(m.spec.sha256)).toBe(true);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("MediaCache chunked download (ARCHITECTURE §3 media)", () => {
  it("takes chunks in any order, verifies and renames into <sha256>.<ext>", async () => {
    const cache = await openCache();
    const m = media(10 * CHUNK + 300);
    expect(await cache.begin(m.spec)).toEqual({ status: "downloading", missing: range(11) });
    expect(cache.has(m.spec.sha256)).toBe(false);
    const order = [10, 3, 0, 7, 1, 9, 2, 8, 4, 6];
    for (const i of order) expect((await cache.writeChunk(m.spec.sha256, i, m.chunk(i))).status).toBe("stored");
    expect(cache.missing(m.spec.sha256)).toEqual([5]);
    expect(cache.pathOf(m.spec.sha256)).toBeNull();
    const res = await cache.writeChunk(m.spec.sha256, 5, m.chunk(5));
    const path = join(dir, `${m.spec.sha256}.opus`);
    expect(res).toEqual({ status: "ready", sha256: m.spec.sha256, path });
    expect(cache.pathOf(m.spec.sha256)).toBe(path);
    expect(Buffer.compare(await readFile(path), m.data)).toBe(0);
    expect(cache.missing(m.spec.sha256)).toEqual([]);
    expect(await readdir(dir)).toEqual([`${m.spec.sha256}.opus`]);
    expect(await cache.begin(m.spec)).toEqual({ status: "ready", path });
    expect(cache.stats()).toMatchObject({ files: 1, bytes: m.spec.bytes, downloads: 0, corrupt: 0 });
  });

  it("answers chunks of media it is not fetching (shared topic) without touching disk", async () => {
    const cache = await openCache();
    const m = media(2 * CHUNK);
    expect(await cache.writeChunk(m.spec.sha256, 0, m.chunk(0))).toEqual({ status: "ignored" });
    expect(cache.missing(m.spec.sha256)).toBeNull();
    await download(cache, m);
    expect(await cache.writeChunk(m.spec.sha256, 0, m.chunk(0))).toEqual({ status: "duplicate" });
    expect((await readdir(dir)).length).toBe(1);
  });

  it("ignores a repeated chunk (QoS 1 duplicate)", async () => {
    const cache = await openCache();
    const m = media(3 * CHUNK);
    await cache.begin(m.spec);
    expect(await cache.writeChunk(m.spec.sha256, 1, m.chunk(1))).toEqual({ status: "stored", remaining: 2 });
    expect(await cache.writeChunk(m.spec.sha256, 1, m.chunk(1))).toEqual({ status: "duplicate" });
  });

  it("rejects a short, long or out-of-range chunk; the last one may be short", async () => {
    const cache = await openCache();
    const m = media(3 * CHUNK + 10);
    await cache.begin(m.spec);
    const bad = [
      cache.writeChunk(m.spec.sha256, 0, m.chunk(0).subarray(0, 1000)),
      cache.writeChunk(m.spec.sha256, 3, Buffer.alloc(CHUNK)),
      cache.writeChunk(m.spec.sha256, 4, Buffer.alloc(10)),
      cache.writeChunk(m.spec.sha256, -1, Buffer.alloc(CHUNK)),
      cache.writeChunk(m.spec.sha256, 1.5, Buffer.alloc(CHUNK)),
    ];
    for (const p of bad) {
      const err = await p.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MediaCacheError);
      expect((err as MediaCacheError).code).toBe("media_chunk_invalid");
    }
    expect(cache.missing(m.spec.sha256)).toEqual([0, 1, 2, 3]);
    expect((await cache.writeChunk(m.spec.sha256, 3, m.chunk(3))).status).toBe("stored");
  });

  it("rejects a malformed media spec", async () => {
    const cache = await openCache();
    await expect(cache.begin({ sha256: "abc", bytes: 10, chunkSize: CHUNK })).rejects.toMatchObject({ code: "media_spec_invalid" });
    await expect(cache.begin({ sha256: "a".repeat(64), bytes: 10, chunkSize: 0 })).rejects.toMatchObject({ code: "media_spec_invalid" });
    await expect(cache.begin({ sha256: "a".repeat(64), bytes: -1, chunkSize: 9 })).rejects.toMatchObject({ code: "media_spec_invalid" });
  });

  it("a chunk damaged in transit: sha256 mismatch, never ready, every chunk requested again", async () => {
    const cache = await openCache();
    const m = media(4 * CHUNK);
    await cache.begin(m.spec);
    const damaged = Buffer.from(m.chunk(2));
    damaged[100] = (damaged[100] ?? 0) ^ 0xff;
    for (const i of [0, 1, 3]) await cache.writeChunk(m.spec.sha256, i, m.chunk(i));
    const res = await cache.writeChunk(m.spec.sha256, 2, damaged);
    expect(res).toEqual({ status: "corrupt", sha256: m.spec.sha256, missing: [0, 1, 2, 3] });
    expect(cache.has(m.spec.sha256)).toBe(false);
    expect(cache.pathOf(m.spec.sha256)).toBeNull();
    expect(cache.missing(m.spec.sha256)).toEqual([0, 1, 2, 3]);
    expect(cache.stats().corrupt).toBe(1);
    expect((await readdir(dir)).some((n) => n.endsWith(".opus"))).toBe(false);
    // the download restarted from nothing: after a restart too
    const again = await openCache();
    expect(again.missing(m.spec.sha256)).toEqual([0, 1, 2, 3]);
    await download(again, m);
    expect(Buffer.compare(await readFile(again.pathOf(m.spec.sha256) ?? ""), m.data)).toBe(0);
  });

  it("stores unknown codecs as .bin and empty media at once", async () => {
    const cache = await openCache();
    const m = media(CHUNK + 1, "flac");
    await download(cache, m);
    expect(cache.pathOf(m.spec.sha256)).toBe(join(dir, `${m.spec.sha256}.bin`));
    const empty = media(0);
    expect(await cache.begin(empty.spec)).toEqual({ status: "ready", path: join(dir, `${empty.spec.sha256}.opus`) });
  });
});

describe("MediaCache resume after restart", () => {
  it("a new instance mid-download asks only for the chunks not yet written", async () => {
    const a = await openCache({ syncEveryChunks: 1 });
    const m = media(8 * CHUNK + 5);
    await a.begin(m.spec);
    for (const i of [8, 0, 5, 2]) await a.writeChunk(m.spec.sha256, i, m.chunk(i));
    // no close(): like a kill -9 after the last chunk was logged
    const b = await openCache({ syncEveryChunks: 1 });
    expect(b.missing(m.spec.sha256)).toEqual([1, 3, 4, 6, 7]);
    expect(await b.begin(m.spec)).toEqual({ status: "downloading", missing: [1, 3, 4, 6, 7] });
    for (const i of [1, 3, 4, 6, 7]) await b.writeChunk(m.spec.sha256, i, m.chunk(i));
    expect(Buffer.compare(await readFile(b.pathOf(m.spec.sha256) ?? ""), m.data)).toBe(0);
  });

  it("batches fsyncs: unlogged chunks are asked again after a crash, the timer logs them", async () => {
    const a = await openCache({ syncEveryChunks: 3, syncDelayMs: 500 });
    const m = media(10 * CHUNK);
    await a.begin(m.spec);
    for (const i of [0, 1, 2, 3]) await a.writeChunk(m.spec.sha256, i, m.chunk(i));
    // 0..2 were logged as a batch of 3; 3 waits for the timer
    expect((await openCache()).missing(m.spec.sha256)).toEqual(range(10).filter((i) => i > 2));
    await clock.advance(500);
    await a.close();
    expect((await openCache()).missing(m.spec.sha256)).toEqual(range(10).filter((i) => i > 3));
  });

  it("skips a torn sidecar line", async () => {
    const a = await openCache({ syncEveryChunks: 1 });
    const m = media(4 * CHUNK);
    await a.begin(m.spec);
    await a.writeChunk(m.spec.sha256, 1, m.chunk(1));
    await appendFile(join(dir, `${m.spec.sha256}.part.log`), '{"c":[0,');
    const b = await openCache({ syncEveryChunks: 1 });
    expect(b.missing(m.spec.sha256)).toEqual([0, 2, 3]);
    for (const i of [0, 2, 3]) await b.writeChunk(m.spec.sha256, i, m.chunk(i));
    expect(b.has(m.spec.sha256)).toBe(true);
  });

  it("finishes a download that was complete when the power went (before the rename)", async () => {
    const a = await openCache({ syncEveryChunks: 1 });
    const m = media(3 * CHUNK);
    await a.begin(m.spec);
    for (const i of [0, 1]) await a.writeChunk(m.spec.sha256, i, m.chunk(i));
    // write the last chunk by hand as if the crash came after its log line but before verify + rename
    const part = join(dir, `${m.spec.sha256}.part`);
    const buf = await readFile(part);
    m.chunk(2).copy(buf, 2 * CHUNK);
    await writeFile(part, buf);
    await appendFile(join(dir, `${m.spec.sha256}.part.log`), '{"c":[2]}\n');
    const b = await openCache();
    expect(b.has(m.spec.sha256)).toBe(true);
    expect(await readdir(dir)).toEqual([`${m.spec.sha256}.opus`]);
  });

  it("restarts a download whose size or chunking changed, and drops leftovers", async () => {
    const a = await openCache({ syncEveryChunks: 1 });
    const m = media(4 * CHUNK);
    await a.begin(m.spec);
    await a.writeChunk(m.spec.sha256, 0, m.chunk(0));
    expect(await a.begin({ ...m.spec, chunkSize: 2 * CHUNK })).toEqual({ status: "downloading", missing: [0, 1] });
    const orphan = "b".repeat(64);
    await writeFile(join(dir, `${orphan}.part`), "x"); // no sidecar
    await writeFile(join(dir, `${"c".repeat(64)}.part.log`), "{}\n"); // no part
    await writeFile(join(dir, `.x.tmp-1-1`), "x");
    const b = await openCache();
    expect(b.missing(orphan)).toBeNull();
    expect((await readdir(dir)).sort()).toEqual([`${m.spec.sha256}.part`, `${m.spec.sha256}.part.log`]);
  });
});

describe("MediaCache integrity at open", () => {
  it("deletes a cached file that is damaged or truncated; it is never returned", async () => {
    const a = await openCache();
    const good = media(2 * CHUNK);
    const bad = media(2 * CHUNK);
    const short = media(2 * CHUNK, "mp3");
    for (const m of [good, bad, short]) await download(a, m);
    const badPath = a.pathOf(bad.spec.sha256) ?? "";
    const data = await readFile(badPath);
    data[5] = (data[5] ?? 0) ^ 1;
    await writeFile(badPath, data);
    await truncate(a.pathOf(short.spec.sha256) ?? "", CHUNK);
    const b = await openCache();
    expect(b.has(good.spec.sha256)).toBe(true);
    expect(b.has(bad.spec.sha256)).toBe(false);
    expect(b.pathOf(short.spec.sha256)).toBeNull();
    expect(b.stats()).toMatchObject({ files: 1, corrupt: 2 });
    expect(await readdir(dir)).toEqual([`${good.spec.sha256}.opus`]);
  });
});

describe("MediaCache bound (LRU, pins)", () => {
  it("evicts the least recently used, never a pinned file", async () => {
    const cache = await openCache({ maxBytes: 3 * 2 * CHUNK });
    const [a, b, c, d] = [media(2 * CHUNK), media(2 * CHUNK), media(2 * CHUNK), media(2 * CHUNK)];
    if (!a || !b || !c || !d) throw new Error("setup");
    for (const m of [a, b, c]) {
      await download(cache, m);
      await clock.advance(1000);
    }
    expect(cache.pathOf(a.spec.sha256)).not.toBeNull(); // a is now the most recent
    await clock.advance(1000);
    expect(await cache.setPinned([b.spec.sha256])).toEqual([]); // within the bound: nothing goes
    await download(cache, d); // needs room: b is oldest but pinned, so c goes
    expect([a, b, c, d].map((m) => cache.has(m.spec.sha256))).toEqual([true, true, false, true]);
    expect((await readdir(dir)).length).toBe(3);
    expect(cache.totalBytes()).toBe(3 * 2 * CHUNK);
    expect(cache.stats().evicted).toBe(1);
  });

  it("keeps pinned media over the bound rather than lose a planned play, and evicts once unpinned", async () => {
    const cache = await openCache({ maxBytes: 2 * CHUNK });
    const [a, b] = [media(2 * CHUNK), media(2 * CHUNK)];
    if (!a || !b) throw new Error("setup");
    await cache.setPinned([a.spec.sha256, b.spec.sha256]);
    await download(cache, a);
    await download(cache, b);
    expect(cache.totalBytes()).toBe(4 * CHUNK);
    expect(await cache.setPinned([b.spec.sha256])).toEqual([a.spec.sha256]);
    expect(cache.has(a.spec.sha256)).toBe(false);
    expect(cache.has(b.spec.sha256)).toBe(true);
  });

  it("counts downloads in the bound and can evict an unpinned one", async () => {
    const cache = await openCache({ maxBytes: 4 * CHUNK });
    const [a, b] = [media(3 * CHUNK), media(3 * CHUNK)];
    if (!a || !b) throw new Error("setup");
    await cache.begin(a.spec);
    await cache.writeChunk(a.spec.sha256, 0, a.chunk(0));
    expect(cache.totalBytes()).toBe(3 * CHUNK);
    await cache.setPinned([b.spec.sha256]);
    await cache.begin(b.spec);
    expect(cache.missing(a.spec.sha256)).toBeNull();
    expect(await cache.writeChunk(a.spec.sha256, 1, a.chunk(1))).toEqual({ status: "ignored" });
    expect(await readdir(dir)).not.toContain(`${a.spec.sha256}.part`);
  });

  it("recency survives a restart through the file times", async () => {
    const a = await openCache({ maxBytes: 100 * CHUNK });
    const [x, y] = [media(CHUNK), media(CHUNK)];
    if (!x || !y) throw new Error("setup");
    await download(a, x);
    await clock.advance(5000);
    await download(a, y);
    await clock.advance(5000);
    a.pathOf(x.spec.sha256); // x used last
    await a.close(); // waits for the queued touch
    const b = await openCache({ maxBytes: CHUNK });
    await b.setPinned([]);
    expect([b.has(x.spec.sha256), b.has(y.spec.sha256)]).toEqual([true, false]);
  });
});
