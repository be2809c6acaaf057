/**
 * Content-addressed media cache of the receiver (ARCHITECTURE §3 "Media over MQTT, pulled then multicast").
 *
 * On disk, in `dir`:
 *   `<sha256>.<opus|mp3|bin>`  verified files (renamed in only after the whole-file sha256 matched)
 *   `<sha256>.part`            a download: sparse file of the final size, chunks written at their offsets
 *   `<sha256>.part.log`        its sidecar (JSON Lines): `{sha256, bytes, chunkSize, codec}` then `{"c":[i..]}`
 *                              records of chunk indexes, each appended only after the .part was fdatasynced,
 *                              so an index in the log is a chunk on disk. After a restart `missing()` comes
 *                              from the log: the download resumes and only unlogged chunks are asked again.
 * fsyncs are batched (every `syncEveryChunks` chunks or `syncDelayMs`): a crash loses at most the
 * unlogged chunks, which are then simply re-requested.
 *
 * Integrity: the contract's chunk topic carries raw bytes only, with no per-chunk hash, so a chunk damaged
 * in transit (or a wrong chunk sent under the right index) cannot be told apart: the whole-file hash only
 * says the file is wrong. Then the honest recovery is to drop the .part and its log, count it in `corrupt`,
 * and fetch every chunk again. (MQTT runs over TCP, so this is a bug or tampering, not line noise. Per-chunk
 * hashes in the plan's media ref would allow re-requesting only the bad chunk.)
 *
 * Verified files are hashed again on `open()` (eager, once per boot; a Pi hashes ~100 MB/s): a file
 * damaged on the SD card is deleted then, so `has()`/`pathOf()` only ever name verified files.
 *
 * Bound: `maxBytes` counts verified files plus the declared size of downloads. When over, the least
 * recently used files and downloads go, never one in the pinned set (media of planned plays). Pinned
 * content may exceed the bound: a planned play matters more than the limit, which is logged.
 */
import type { Clock } from "@loa/shared";
import type { Logger } from "pino";
import { join } from "node:path";
import type { DurableFs } from "../ports/fs.js";
import { assertSpec, checkChunk, extOf, isSpec, logText, mark, missingOf, newDownload } from "./media-download.js";
import type { Download, MediaSpec } from "./media-download.js";
import { Serial } from "../lib/serial.js";

export { MediaCacheError } from "./media-download.js";
export type { MediaSpec } from "./media-download.js";

export type BeginResult = { status: "ready"; path: string } | { status: "downloading"; missing: number[] };

export type ChunkResult =
  /** No download of this sha256 here (the media topic is shared by every device). */
  | { status: "ignored" }
  /** Already have this chunk or the whole file. */
  | { status: "duplicate" }
  | { status: "stored"; remaining: number }
  /** The last chunk completed a verified file: report `media_ready`. */
  | { status: "ready"; sha256: string; path: string }
  /** Complete but the sha256 did not match: everything was dropped and `missing` is every chunk again. */
  | { status: "corrupt"; sha256: string; missing: number[] };

export interface MediaCacheStats {
  files: number;
  /** Verified files plus declared size of downloads (what the bound counts). */
  bytes: number;
  downloads: number;
  /** Downloads whose sha256 did not match, and cached files found damaged at open, since start. */
  corrupt: number;
  evicted: number;
}

export interface MediaCacheDeps {
  fs: DurableFs;
  dir: string;
  clock: Clock;
  log: Logger;
  /** Bound on cached bytes (verified + downloading). */
  maxBytes: number;
  /** fdatasync + log after this many new chunks (default 16 = 1 MiB of 64 KiB chunks). */
  syncEveryChunks?: number;
  /** ... or this long after the first unlogged chunk (default 1000 ms). */
  syncDelayMs?: number;
}

interface ReadyFile {
  path: string;
  bytes: number;
  lastUsed: number;
}


const READY_RE = /^([0-9a-f]{64})\.(opus|mp3|bin)$/;
const PART_RE = /^([0-9a-f]{64})\.part$/;
const LOG_RE = /^([0-9a-f]{64})\.part\.log$/;

export class MediaCache {
  private readonly ready = new Map<string, ReadyFile>();
  private readonly downloads = new Map<string, Download>();
  private pinned = new Set<string>();
  private readonly serial = new Serial();
  private corrupt = 0;
  private evicted = 0;
  private readonly syncEvery: number;
  private readonly syncDelayMs: number;

  constructor(private readonly deps: MediaCacheDeps) {
    this.syncEvery = Math.max(1, deps.syncEveryChunks ?? 16);
    this.syncDelayMs = deps.syncDelayMs ?? 1000;
  }

  /**
   * Index and verify the cache directory, load interrupted downloads, drop leftovers. Evicts nothing: pins
   * are not known yet at boot, so the bound is enforced from the first `setPinned`/`begin`.
   */
  open(): Promise<void> {
    return this.serial.run(async () => {
      await this.deps.fs.mkdirp(this.deps.dir);
      const names = await this.deps.fs.list(this.deps.dir);
      for (const name of names) await this.openEntry(name, names);
      this.deps.log.info({ ...this.stats() }, "media cache opened");
    });
  }

  /** Start or resume fetching `spec`; says what to request (`media/req {sha256, missing}`). */
  begin(spec: MediaSpec): Promise<BeginResult> {
    return this.serial.run(() => this.doBegin(spec));
  }

  /** A chunk arrived from `loa/v1/media/{sha256}/{index}`. Rejects with MediaCacheError on a bad index or length. */
  writeChunk(sha256: string, index: number, data: Uint8Array): Promise<ChunkResult> {
    if (!this.downloads.has(sha256)) return Promise.resolve(this.notDownloading(sha256));
    return this.serial.run(() => this.doWrite(sha256, index, data));
  }

  /** Chunk indexes still needed; [] when the file is cached; null when nothing is known of it. */
  missing(sha256: string): number[] | null {
    if (this.ready.has(sha256)) return [];
    const d = this.downloads.get(sha256);
    return d ? missingOf(d) : null;
  }

  has(sha256: string): boolean {
    return this.ready.has(sha256);
  }

  /** Path of a verified file (and marks it used), or null. */
  pathOf(sha256: string): string | null {
    const file = this.ready.get(sha256);
    if (!file) return null;
    const now = (file.lastUsed = this.deps.clock.now());
    // Recency for LRU after a reboot; queued so close() waits for it, best effort.
    this.serial.run(() => this.deps.fs.touch(file.path, now)).catch((err: unknown) => this.deps.log.debug({ err }, "touch failed"));
    return file.path;
  }

  /** Media of planned plays: never evicted. Replaces the previous set; evicts if over the bound. */
  setPinned(sha256s: Iterable<string>): Promise<string[]> {
    this.pinned = new Set(sha256s);
    return this.serial.run(() => this.evict(0, null));
  }

  totalBytes(): number {
    let n = 0;
    for (const f of this.ready.values()) n += f.bytes;
    for (const d of this.downloads.values()) n += d.spec.bytes;
    return n;
  }

  stats(): MediaCacheStats {
    return {
      files: this.ready.size,
      bytes: this.totalBytes(),
      downloads: this.downloads.size,
      corrupt: this.corrupt,
      evicted: this.evicted,
    };
  }

  /** Log what is written and close files. */
  close(): Promise<void> {
    return this.serial.run(async () => {
      for (const d of this.downloads.values()) {
        await this.flush(d);
        await d.file?.close();
        d.file = null;
      }
    });
  }

  private async openEntry(name: string, names: string[]): Promise<void> {
    const fs = this.deps.fs;
    const path = join(this.deps.dir, name);
    let m: RegExpExecArray | null;
    if (name.startsWith(".") && name.includes(".tmp-")) await fs.remove(path);
    else if ((m = READY_RE.exec(name))) await this.openReady(m[1] ?? "", path);
    else if ((m = PART_RE.exec(name))) await this.openPart(m[1] ?? "");
    else if ((m = LOG_RE.exec(name)) && !names.includes(`${m[1] ?? ""}.part`)) await fs.remove(path);
  }

  private async openReady(sha256: string, path: string): Promise<void> {
    const stat = await this.deps.fs.stat(path);
    if (!stat) return;
    if (this.ready.has(sha256) || (await this.deps.fs.sha256(path)) !== sha256) {
      this.deps.log.warn({ path }, "cached media damaged or duplicate: deleted");
      if (!this.ready.has(sha256)) this.corrupt++;
      await this.deps.fs.remove(path);
      return;
    }
    this.ready.set(sha256, { path, bytes: stat.size, lastUsed: stat.mtimeMs });
  }

  /** Resume a download from its sidecar log; anything inconsistent is dropped (it will be fetched again). */
  private async openPart(sha256: string): Promise<void> {
    const fs = this.deps.fs;
    const read = await fs.readJsonLines(this.logPath(sha256));
    const spec = read?.records[0];
    const stat = await fs.stat(this.partPath(sha256));
    if (!read || !isSpec(spec) || spec.sha256 !== sha256 || stat?.size !== spec.bytes) {
      await this.dropPartFiles(sha256);
      return;
    }
    const d = newDownload(spec, stat.mtimeMs);
    for (const rec of read.records.slice(1)) {
      const idx = (rec as { c?: unknown }).c;
      if (Array.isArray(idx)) for (const i of idx) if (Number.isInteger(i) && i >= 0 && i < d.count) mark(d, i as number);
    }
    this.downloads.set(sha256, d);
    if (read.torn || read.bad > 0) await fs.writeAtomic(this.logPath(sha256), logText(spec, d));
    if (d.haveCount === d.count) await this.finish(d);
  }

  private async doBegin(spec: MediaSpec): Promise<BeginResult> {
    assertSpec(spec);
    const file = this.ready.get(spec.sha256);
    if (file) {
      file.lastUsed = this.deps.clock.now();
      return { status: "ready", path: file.path };
    }
    const existing = this.downloads.get(spec.sha256);
    if (existing && existing.spec.bytes === spec.bytes && existing.spec.chunkSize === spec.chunkSize) {
      existing.lastUsed = this.deps.clock.now();
      return { status: "downloading", missing: missingOf(existing) };
    }
    if (existing) await this.discard(existing);
    const d = await this.start(spec);
    if (d.count === 0) {
      const res = await this.finish(d);
      if (res.status === "ready") return { status: "ready", path: res.path };
    }
    return { status: "downloading", missing: missingOf(d) };
  }

  private async start(spec: MediaSpec): Promise<Download> {
    await this.evict(spec.bytes, null);
    const d = newDownload({ sha256: spec.sha256, bytes: spec.bytes, chunkSize: spec.chunkSize, codec: spec.codec }, this.deps.clock.now());
    d.file = await this.deps.fs.openRandomAccess(this.partPath(spec.sha256), spec.bytes);
    await this.deps.fs.writeAtomic(this.logPath(spec.sha256), logText(d.spec, d));
    this.downloads.set(spec.sha256, d);
    return d;
  }

  private async doWrite(sha256: string, index: number, data: Uint8Array): Promise<ChunkResult> {
    const d = this.downloads.get(sha256);
    if (!d) return this.notDownloading(sha256);
    checkChunk(d, index, data);
    if (d.have[index] === 1) return { status: "duplicate" };
    d.file ??= await this.deps.fs.openRandomAccess(this.partPath(sha256), d.spec.bytes);
    await d.file.write(data, index * d.spec.chunkSize);
    mark(d, index);
    d.unsynced.push(index);
    d.lastUsed = this.deps.clock.now();
    if (d.haveCount === d.count) return this.finish(d);
    if (d.unsynced.length >= this.syncEvery) await this.flush(d);
    else d.timer ??= this.deps.clock.setTimeout(() => this.flushLater(d), this.syncDelayMs);
    return { status: "stored", remaining: d.count - d.haveCount };
  }

  private flushLater(d: Download): void {
    d.timer = null;
    this.serial.run(() => (this.downloads.get(d.spec.sha256) === d ? this.flush(d) : Promise.resolve())).catch(
      (err: unknown) => this.deps.log.error({ err, sha256: d.spec.sha256 }, "media chunk sync failed"),
    );
  }

  /** Data first, then the log: an index in the log always names bytes on disk. */
  private async flush(d: Download): Promise<void> {
    d.timer?.cancel();
    d.timer = null;
    if (d.unsynced.length === 0 || !d.file) return;
    const indexes = d.unsynced.splice(0);
    await d.file.sync();
    await this.deps.fs.appendJsonLines(this.logPath(d.spec.sha256), [{ c: indexes }]);
  }

  /** Every chunk is in: verify the whole file, then rename it into the cache or start over. */
  private async finish(d: Download): Promise<ChunkResult> {
    const { sha256 } = d.spec;
    await this.flush(d);
    await d.file?.close();
    d.file = null;
    const actual = await this.deps.fs.sha256(this.partPath(sha256));
    this.downloads.delete(sha256);
    if (actual !== sha256) {
      this.corrupt++;
      this.deps.log.warn({ sha256, actual }, "media sha256 mismatch: download dropped, fetching every chunk again");
      await this.dropPartFiles(sha256);
      const again = await this.start(d.spec);
      return { status: "corrupt", sha256, missing: missingOf(again) };
    }
    const path = join(this.deps.dir, `${sha256}.${extOf(d.spec.codec)}`);
    await this.deps.fs.rename(this.partPath(sha256), path);
    await this.deps.fs.remove(this.logPath(sha256));
    const now = this.deps.clock.now();
    this.ready.set(sha256, { path, bytes: d.spec.bytes, lastUsed: now });
    await this.deps.fs.touch(path, now).catch(() => undefined);
    await this.evict(0, sha256);
    return { status: "ready", sha256, path };
  }

  /** Least recently used first, never a pinned one nor `keep`, until `extra` more bytes fit. */
  private async evict(extra: number, keep: string | null): Promise<string[]> {
    const over = () => this.totalBytes() + extra > this.deps.maxBytes;
    if (!over()) return [];
    const candidates = [
      ...[...this.ready].map(([sha, f]) => ({ sha, lastUsed: f.lastUsed })),
      ...[...this.downloads].map(([sha, d]) => ({ sha, lastUsed: d.lastUsed })),
    ]
      .filter((c) => !this.pinned.has(c.sha) && c.sha !== keep)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    const gone: string[] = [];
    for (const c of candidates) {
      if (!over()) break;
      await this.evictOne(c.sha);
      gone.push(c.sha);
    }
    if (over()) this.deps.log.warn({ bytes: this.totalBytes(), extra, maxBytes: this.deps.maxBytes }, "media cache over its bound: pinned");
    return gone;
  }

  private async evictOne(sha256: string): Promise<void> {
    const file = this.ready.get(sha256);
    const d = this.downloads.get(sha256);
    if (file) {
      await this.deps.fs.remove(file.path);
      this.ready.delete(sha256);
    }
    if (d) await this.discard(d);
    this.evicted++;
    this.deps.log.info({ sha256 }, "media evicted");
  }

  private async discard(d: Download): Promise<void> {
    d.timer?.cancel();
    d.timer = null;
    await d.file?.close();
    d.file = null;
    this.downloads.delete(d.spec.sha256);
    await this.dropPartFiles(d.spec.sha256);
  }

  private async dropPartFiles(sha256: string): Promise<void> {
    await this.deps.fs.remove(this.partPath(sha256));
    await this.deps.fs.remove(this.logPath(sha256));
  }

  private notDownloading(sha256: string): ChunkResult {
    return this.ready.has(sha256) ? { status: "duplicate" } : { status: "ignored" };
  }

  private partPath(sha256: string): string {
    return join(this.deps.dir, `${sha256}.part`);
  }

  private logPath(sha256: string): string {
    return join(this.deps.dir, `${sha256}.part.log`);
  }
}
