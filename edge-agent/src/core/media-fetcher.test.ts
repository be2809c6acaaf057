/** MediaFetcher on a MemoryLink and a FakeClock over a fake cache (ARCHITECTURE §3 media/req and chunks). */
import { describe, expect, it } from "vitest";
import { FakeClock, type MediaRef } from "@loa/shared";
import { pino } from "pino";
import { MemoryLink } from "../testing/memory-link.js";
import type { BeginResult, ChunkResult } from "./media-cache.js";
import { MediaCacheError } from "./media-cache.js";
import { MediaFetcher } from "./media-fetcher.js";

const log = pino({ level: "silent" });
const SHA = "ab".repeat(32);
const REF: MediaRef = { sha256: SHA, bytes: 4 * 1024, chunkSize: 1024, durationMs: 1000, codec: "opus" };

/** Chunks by index; "corrupt" once when `corruptOnce` is set; a chunk of the wrong length is refused. */
class FakeCache {
  have = new Set<number>();
  ready = false;
  corruptOnce = false;
  readonly count = 4;

  begin(): Promise<BeginResult> {
    return Promise.resolve(this.ready ? { status: "ready", path: "/x" } : { status: "downloading", missing: this.missingNow() });
  }

  writeChunk(_sha: string, index: number, data: Uint8Array): Promise<ChunkResult> {
    if (data.length !== 1024) return Promise.reject(new MediaCacheError("media_chunk_invalid", "bad length"));
    this.have.add(index);
    if (this.have.size < this.count) return Promise.resolve({ status: "stored", remaining: this.count - this.have.size });
    if (this.corruptOnce) {
      this.corruptOnce = false;
      this.have.clear();
      return Promise.resolve({ status: "corrupt", sha256: SHA, missing: this.missingNow() });
    }
    this.ready = true;
    return Promise.resolve({ status: "ready", sha256: SHA, path: "/x" });
  }

  missing(): number[] | null {
    return this.ready ? [] : this.missingNow();
  }

  has(): boolean {
    return this.ready;
  }

  private missingNow(): number[] {
    return [0, 1, 2, 3].filter((i) => !this.have.has(i));
  }
}

async function setup() {
  const clock = new FakeClock();
  const link = new MemoryLink({ clock });
  const cache = new FakeCache();
  const ready: string[] = [];
  const fetcher = new MediaFetcher({ cache, link, clock, log, onReady: (s) => ready.push(s), retryMs: 1_000, retryMaxMs: 4_000 });
  fetcher.start();
  await link.start();
  const reqs = () => link.sentOf("mediaReq").map((r) => r.missing);
  const chunk = (i: number, len = 1024) => link.deliverMedia(SHA, i, Buffer.alloc(len));
  return { clock, link, cache, ready, fetcher, reqs, chunk };
}

describe("MediaFetcher", () => {
  it("subscribes to the file's chunks, asks for the missing ones, and reports it ready once verified", async () => {
    const { clock, link, ready, fetcher, reqs, chunk } = await setup();
    expect(await fetcher.want(REF)).toBe(false);
    expect(link.subscriptions()).toContain(`loa/v1/media/${SHA}/+`);
    expect(reqs()).toEqual([[0, 1, 2, 3]]);
    for (const i of [0, 1, 2, 3]) chunk(i);
    await clock.advance(0);
    expect(ready).toEqual([SHA]);
    expect(link.subscriptions()).not.toContain(`loa/v1/media/${SHA}/+`);
    expect(fetcher.downloading()).toEqual([]);
    await clock.advance(60_000);
    expect(reqs()).toHaveLength(1);
  });

  it("asks again for what is still missing when no chunk came, with doubling backoff; progress resets it", async () => {
    const { clock, fetcher, reqs, chunk } = await setup();
    await fetcher.want(REF);
    chunk(0);
    await clock.advance(0);
    await clock.advance(999);
    expect(reqs()).toHaveLength(1);
    await clock.advance(1);
    expect(reqs()).toEqual([[0, 1, 2, 3], [1, 2, 3]]);
    await clock.advance(1_999);
    expect(reqs()).toHaveLength(2);
    await clock.advance(1);
    expect(reqs()).toHaveLength(3);
    await clock.advance(4_000);
    await clock.advance(4_000);
    expect(reqs()).toHaveLength(5); // capped at retryMaxMs
    chunk(1);
    await clock.advance(0);
    await clock.advance(1_000);
    expect(reqs()[reqs().length - 1]).toEqual([2, 3]);
  });

  it("asks for every chunk again after a sha256 mismatch", async () => {
    const { clock, cache, ready, fetcher, reqs, chunk } = await setup();
    cache.corruptOnce = true;
    await fetcher.want(REF);
    for (const i of [0, 1, 2, 3]) chunk(i);
    await clock.advance(0);
    expect(ready).toEqual([]);
    expect(reqs()).toEqual([[0, 1, 2, 3], [0, 1, 2, 3]]);
    for (const i of [0, 1, 2, 3]) chunk(i);
    await clock.advance(0);
    expect(ready).toEqual([SHA]);
    expect(fetcher.stats()).toMatchObject({ corrupt: 1, completed: 1, requests: 2, chunksRequested: 8 });
  });

  it("counts refused chunks, asks nothing while offline, and asks again on reconnect", async () => {
    const { clock, link, fetcher, reqs, chunk } = await setup();
    link.disconnect();
    await fetcher.want(REF);
    await clock.advance(10_000);
    expect(reqs()).toEqual([]);
    link.reconnect();
    await clock.advance(0);
    expect(reqs()).toEqual([[0, 1, 2, 3]]);
    chunk(2, 10);
    await clock.advance(0);
    expect(fetcher.stats().badChunks).toBe(1);
  });

  it("stops fetching a file no longer planned", async () => {
    const { clock, link, fetcher, reqs } = await setup();
    await fetcher.want(REF);
    fetcher.retain(new Set());
    expect(link.subscriptions()).not.toContain(`loa/v1/media/${SHA}/+`);
    await clock.advance(60_000);
    expect(reqs()).toHaveLength(1);
  });

  it("does nothing for media already cached", async () => {
    const { cache, fetcher, reqs } = await setup();
    cache.ready = true;
    expect(await fetcher.want(REF)).toBe(true);
    expect(reqs()).toEqual([]);
  });
});
