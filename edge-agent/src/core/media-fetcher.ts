/**
 * Fetching media over MQTT (ARCHITECTURE §3 "Media over MQTT, pulled then multicast"): for each file the plan
 * (or a play_now) needs and the cache lacks, subscribe to its chunk topic and publish `media/req {sha256,
 * missing}`; write each chunk that arrives into the cache. A verified file means `media_ready`; a file whose
 * sha256 does not match was dropped by the cache, so every chunk is asked again. When no chunk arrived for
 * a while (the cloud coalesces and may drop requests, the broker may lose QoS 1 messages across a restart),
 * the still-missing chunks are asked again, with backoff. Requests go out only while online; on every
 * (re)connect each unfinished download asks again for what it lacks.
 */
import { errorMessage, type Clock, type MediaRef, type TimerHandle } from "@loa/shared";
import type { Logger } from "pino";
import type { Link, MediaChunk } from "../ports/link.js";
import type { MediaCache } from "./media-cache.js";

export interface MediaFetcherDeps {
  cache: Pick<MediaCache, "begin" | "writeChunk" | "missing" | "has">;
  link: Pick<Link, "publish" | "on" | "online" | "wantMedia" | "unwantMedia">;
  clock: Clock;
  log: Logger;
  /** A verified file is in the cache (emit media_ready, wake the player). */
  onReady: (sha256: string) => void;
  /** First wait for progress before asking again (default 15 000), doubled up to `retryMaxMs`. */
  retryMs?: number;
  retryMaxMs?: number;
}

export interface MediaFetcherStats {
  /** media/req published. */
  requests: number;
  /** Chunk indexes asked for, over all requests. */
  chunksRequested: number;
  /** Chunks refused by the cache (bad index or length). */
  badChunks: number;
  /** Downloads whose sha256 did not match (fetched again). */
  corrupt: number;
  /** Files completed and verified. */
  completed: number;
}

interface Wanted {
  spec: MediaRef;
  delayMs: number;
  timer: TimerHandle | undefined;
}

export class MediaFetcher {
  private readonly wanted = new Map<string, Wanted>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly counts: MediaFetcherStats = { requests: 0, chunksRequested: 0, badChunks: 0, corrupt: 0, completed: 0 };
  private readonly retryMs: number;
  private readonly retryMaxMs: number;

  constructor(private readonly deps: MediaFetcherDeps) {
    this.retryMs = deps.retryMs ?? 15_000;
    this.retryMaxMs = Math.max(this.retryMs, deps.retryMaxMs ?? 300_000);
  }

  start(): void {
    if (this.unsubscribe.length > 0) return;
    this.unsubscribe.push(
      this.deps.link.on("media", (chunk) => this.onChunk(chunk)),
      this.deps.link.on("online", () => {
        for (const sha of this.wanted.keys()) this.request(sha);
      }),
    );
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    for (const w of this.wanted.values()) w.timer?.cancel();
    this.wanted.clear();
  }

  stats(): MediaFetcherStats {
    return { ...this.counts };
  }

  /** sha256s being downloaded now. */
  downloading(): string[] {
    return [...this.wanted.keys()];
  }

  /** Make sure `spec` is (or becomes) cached. Resolves true when it is already there. */
  async want(spec: MediaRef): Promise<boolean> {
    if (this.wanted.has(spec.sha256)) return false;
    const begun = await this.deps.cache.begin(spec);
    if (begun.status === "ready") return true;
    if (this.wanted.has(spec.sha256)) return false;
    this.wanted.set(spec.sha256, { spec, delayMs: this.retryMs, timer: undefined });
    this.deps.link.wantMedia(spec.sha256);
    this.request(spec.sha256);
    return false;
  }

  /** Stop fetching every file not in `keep` (its plays left the plan); the .part stays for a later resume. */
  retain(keep: ReadonlySet<string>): void {
    for (const sha of [...this.wanted.keys()]) if (!keep.has(sha)) this.drop(sha);
  }

  private drop(sha256: string): void {
    this.wanted.get(sha256)?.timer?.cancel();
    this.wanted.delete(sha256);
    this.deps.link.unwantMedia(sha256);
  }

  private onChunk(chunk: MediaChunk): Promise<void> {
    return this.deps.cache.writeChunk(chunk.sha256, chunk.index, chunk.data).then(
      (res) => {
        if (res.status === "stored") this.progress(chunk.sha256);
        else if (res.status === "ready") this.completed(chunk.sha256);
        else if (res.status === "corrupt") this.corrupt(chunk.sha256);
      },
      (err: unknown) => {
        this.counts.badChunks++;
        this.deps.log.warn({ sha256: chunk.sha256, index: chunk.index, err: errorMessage(err) }, "media chunk refused");
      },
    );
  }

  private progress(sha256: string): void {
    const w = this.wanted.get(sha256);
    if (!w) return;
    w.delayMs = this.retryMs;
    this.arm(w);
  }

  private completed(sha256: string): void {
    this.counts.completed++;
    this.drop(sha256);
    this.deps.log.info({ sha256 }, "media ready");
    this.deps.onReady(sha256);
  }

  private corrupt(sha256: string): void {
    this.counts.corrupt++;
    this.deps.log.warn({ sha256 }, "media failed its sha256 check: asking for every chunk again");
    const w = this.wanted.get(sha256);
    if (w) w.delayMs = this.retryMs;
    this.request(sha256);
  }

  /** Publish media/req for what is still missing, then wait for progress. */
  private request(sha256: string): void {
    const w = this.wanted.get(sha256);
    if (!w || !this.deps.link.online) return;
    const missing = this.deps.cache.missing(sha256);
    if (missing === null) {
      // The cache forgot the download (evicted): start it again.
      this.drop(sha256);
      this.want(w.spec).catch((err: unknown) => this.deps.log.warn({ sha256, err: errorMessage(err) }, "media download not restarted"));
      return;
    }
    if (missing.length === 0) return;
    this.counts.requests++;
    this.counts.chunksRequested += missing.length;
    this.deps.log.info({ sha256, missing: missing.length }, "media requested");
    this.deps.link.publish("mediaReq", { sha256, missing }, { whenOffline: "reject" }).catch((err: unknown) => {
      this.deps.log.debug({ sha256, err: errorMessage(err) }, "media/req not published");
    });
    this.arm(w);
  }

  private arm(w: Wanted): void {
    w.timer?.cancel();
    w.timer = this.deps.clock.setTimeout(() => {
      w.timer = undefined;
      if (this.wanted.get(w.spec.sha256) !== w) return;
      w.delayMs = Math.min(this.retryMaxMs, w.delayMs * 2);
      this.deps.log.info({ sha256: w.spec.sha256 }, "media download stalled: asking again");
      this.request(w.spec.sha256);
    }, w.delayMs);
  }
}
