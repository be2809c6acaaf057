/**
 * Bulletins' audio files (ARCHITECTURE §2: `media/<sha256>.<ext>`, each content stored once): where they are,
 * and the bookkeeping that keeps a file several bulletins share until the last of them is deleted.
 */
import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { Sha256Hex, type Codec } from "@loa/shared";
import type { Catalog } from "../../ports/store.js";
import { mediaFileName } from "../../media/content-store.js";
import { mediaError } from "../../media/errors.js";
import { extOf, mimeTypeOf } from "../../media/options.js";
import type { MediaResult } from "../../media/pipeline.js";

export interface MediaFile {
  path: string;
  bytes: number;
  codec: Codec;
  mimeType: string;
  mtimeMs: number;
}

const CODECS: readonly Codec[] = ["opus", "mp3"];

/**
 * The stored file for `sha256`, or undefined when there is none. Anything that is not a sha256 is refused
 * before it reaches a path, so no caller can walk out of the media dir.
 */
export async function findMediaFile(mediaDir: string, sha256: string, codec?: Codec): Promise<MediaFile | undefined> {
  if (!Sha256Hex.safeParse(sha256).success) return undefined;
  for (const c of codec ? [codec] : CODECS) {
    const path = join(mediaDir, mediaFileName(sha256, extOf(c)));
    const s = await stat(path).catch(() => undefined);
    if (s?.isFile()) return { path, bytes: s.size, codec: c, mimeType: mimeTypeOf(c), mtimeMs: s.mtimeMs };
  }
  return undefined;
}

/** Absolute path of the media file with this sha256, or undefined (for the MQTT media distributor, §3). */
export async function mediaPathOf(mediaDir: string, sha256: string): Promise<string | undefined> {
  return (await findMediaFile(mediaDir, sha256))?.path;
}

/**
 * Who still needs a media file. A file may be deleted only when no bulletin record points at it and no
 * upload in flight has just produced (or found) it and is about to record it. Both questions are asked
 * under a per-sha256 lock, so a delete and a same-content upload can never cross.
 */
export class MediaRefs {
  private readonly held = new Map<string, number>();
  private readonly locks = new Map<string, Promise<void>>();

  constructor(private readonly deps: { catalog: Catalog; mediaDir: string; log: Logger }) {}

  /**
   * Runs `ingest` and holds its result until `release()`, re-running it once if a concurrent delete removed
   * the file between the pipeline storing it and the hold being taken.
   */
  async ingestHeld(ingest: () => Promise<MediaResult>): Promise<{ result: MediaResult; release: () => void }> {
    for (let attempt = 1; ; attempt++) {
      const result = await ingest();
      const release = await this.exclusive(result.sha256, async () => {
        const drop = this.hold(result.sha256);
        if ((await stat(result.path).catch(() => undefined))?.isFile()) return drop;
        drop();
        return undefined;
      });
      if (release) return { result, release };
      if (attempt >= 2) throw mediaError("ffmpeg_failed", {}, { reason: `media ${result.sha256} vanished twice while storing` });
    }
  }

  /** Deletes the file unless a bulletin or an upload in flight still uses it; true when it was deleted. */
  async dropIfUnused(sha256: string, codec: Codec): Promise<boolean> {
    return this.exclusive(sha256, async () => {
      const used = (this.held.get(sha256) ?? 0) > 0 || this.deps.catalog.data().bulletins.some((b) => b.sha256 === sha256);
      if (used) return false;
      const path = join(this.deps.mediaDir, mediaFileName(sha256, extOf(codec)));
      try {
        await rm(path, { force: true });
        return true;
      } catch (err) {
        // The record is already gone; a file left behind only costs disk, so it is logged, not thrown.
        this.deps.log.warn({ err, sha256 }, "could not delete an unused media file");
        return false;
      }
    });
  }

  private hold(sha256: string): () => void {
    this.held.set(sha256, (this.held.get(sha256) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.held.get(sha256) ?? 1) - 1;
      if (n > 0) this.held.set(sha256, n);
      else this.held.delete(sha256);
    };
  }

  private async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(key) ?? Promise.resolve();
    let unlock: () => void = () => undefined;
    const mine = new Promise<void>((resolve) => {
      unlock = resolve;
    });
    const tail = before.then(() => mine);
    this.locks.set(key, tail);
    await before;
    try {
      return await fn();
    } finally {
      unlock();
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }
}
