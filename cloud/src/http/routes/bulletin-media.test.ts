/**
 * MediaRefs: a shared media file is deleted only when no bulletin and no upload in flight uses it, and an
 * upload whose file a concurrent delete removed gets it back by ingesting again (ARCHITECTURE §2 "stored once").
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { Bulletin } from "@loa/shared";
import type { MediaResult } from "../../media/pipeline.js";
import { MemoryCatalog } from "../../testing/memory-store.js";
import { MediaRefs, findMediaFile } from "./bulletin-media.js";

const SHA = "a".repeat(64);

let dir: string;
let catalog: MemoryCatalog;
let refs: MediaRefs;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "loa-media-refs-"));
  catalog = new MemoryCatalog();
  refs = new MediaRefs({ catalog, mediaDir: dir, log: pino({ level: "silent" }) });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** An "ingest" that writes the file (as the pipeline does) and reports it. */
function ingestOf(calls: { n: number }): () => Promise<MediaResult> {
  return async () => {
    calls.n++;
    const path = join(dir, `${SHA}.opus`);
    await writeFile(path, "ogg bytes");
    return { sha256: SHA, path, codec: "opus", duplicate: calls.n > 1 } as MediaResult;
  };
}

const bulletin = (id: string): Bulletin => ({
  id,
  title: id,
  sha256: SHA,
  bytes: 9,
  durationMs: 1000,
  codec: "opus",
  loudnessLufs: -16,
  source: "upload",
  areaId: "C1",
  createdBy: "u",
  createdAt: "2026-01-01T00:00:00.000Z",
});

describe("MediaRefs", () => {
  it("keeps a file held by an upload in flight, and drops it once released and unreferenced", async () => {
    const { release } = await refs.ingestHeld(ingestOf({ n: 0 }));
    expect(await refs.dropIfUnused(SHA, "opus")).toBe(false);
    expect(await readdir(dir)).toEqual([`${SHA}.opus`]);
    release();
    release(); // idempotent
    expect(await refs.dropIfUnused(SHA, "opus")).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  it("keeps a file a bulletin record points at", async () => {
    await ingestOf({ n: 0 })();
    await catalog.update((d) => {
      d.bulletins.push(bulletin("bul_a"));
    });
    expect(await refs.dropIfUnused(SHA, "opus")).toBe(false);
    expect((await findMediaFile(dir, SHA))?.codec).toBe("opus");
  });

  it("ingests again when a delete removed the file between storing and holding it", async () => {
    const calls = { n: 0 };
    const inner = ingestOf(calls);
    let first = true;
    const racing = async (): Promise<MediaResult> => {
      const r = await inner();
      if (first) {
        first = false;
        await rm(r.path); // the concurrent delete wins the race
      }
      return r;
    };
    const { release } = await refs.ingestHeld(racing);
    expect(calls.n).toBe(2);
    expect(await readdir(dir)).toEqual([`${SHA}.opus`]);
    release();
  });

  it("gives up with ffmpeg_failed when the file vanishes twice", async () => {
    const vanishing = async (): Promise<MediaResult> => ({ sha256: SHA, path: join(dir, "never"), codec: "opus", duplicate: false }) as MediaResult;
    await expect(refs.ingestHeld(vanishing)).rejects.toMatchObject({ code: "ffmpeg_failed" });
  });
});
