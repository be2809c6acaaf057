/**
 * Media over MQTT, pulled then multicast (ARCHITECTURE §3): `media/req {sha256, missing}` from many devices
 * within `windowMs` are merged, and each missing chunk is published once on `media/{sha256}/{index}` for
 * the broker to fan out.
 *
 * - A round starts once requests for a file stop coming: `windowMs` after the latest one, but at most
 *   `maxWaitMs` after the first one of the round (so a steady trickle cannot hold a file back). A `now`
 *   broadcast makes every target ask within a second or two: one round then serves the whole burst, where a
 *   fixed window shorter than the burst sent the file again for everyone who asked after it closed.
 * - While a round sends, a request for a chunk still queued in it adds nothing. A request for a chunk the
 *   round already sent goes into the next round: the asker may have subscribed after it went out.
 * - A sha256 that no current plan (or allowed command) references is refused and counted: devices cannot
 *   make the cloud publish arbitrary files (flood protection). The first refusal of a file logs a warning,
 *   the others within `REFUSAL_LOG_MS` are counted into one line at its end: after a cloud restart every
 *   receiver that missed a bulletin asks for it once, which logged one warning per receiver.
 * - Every byte passes a token bucket (`maxBytesPerSec`, 0 = unlimited), so media never floods the uplink.
 */
import { chunkCount, errorMessage, type Clock, type MediaRef, type MediaReqPayload, type TimerHandle } from "@loa/shared";
import type { Logger } from "pino";
import type { DeliveryBus } from "./bus.js";
import type { MediaReader, MediaSource } from "./media-source.js";
import { TokenBucket } from "./token-bucket.js";

export interface MediaDistributorDeps {
  bus: Pick<DeliveryBus, "publishMedia">;
  source: MediaSource;
  clock: Clock;
  log: Logger;
  /** The media reference (size, chunk size) when a current plan or command uses `sha256`, else undefined. */
  referenced: (sha256: string) => MediaRef | undefined;
  /**
   * Quiet time after the latest request before a round starts (default 600 ms: a busy receiver or broker
   * delays requests by a few hundred ms, and a gap inside the burst would start a round too early).
   */
  windowMs?: number;
  /** Longest wait from the first request of a round to its start, however requests keep coming (default 3000 ms). */
  maxWaitMs?: number;
  /** Default 2 MiB/s; 0 = unlimited. */
  maxBytesPerSec?: number;
  burstBytes?: number;
}

export interface MediaStats {
  requests: number;
  /** Requests merged into a window or a round already open for the same file. */
  coalescedRequests: number;
  /** Requests for media no plan references (not served). */
  refusedRequests: number;
  /** Chunk indexes beyond the end of the file (ignored). */
  badIndexes: number;
  rounds: number;
  chunksPublished: number;
  bytesPublished: number;
  publishErrors: number;
  /** Files referenced by a plan but missing or of the wrong size in the media store. */
  fileErrors: number;
}

export const DEFAULT_MAX_MEDIA_BYTES_PER_SEC = 2 * 1024 * 1024;
/** Refusals of one file logged together over this time. */
export const REFUSAL_LOG_MS = 60_000;
/** Files whose refusals are tracked apart; beyond, they share one line (random sha256s stay bounded). */
const REFUSAL_LOG_FILES = 256;

interface FileState {
  pending: Set<number>;
  timer: TimerHandle | undefined;
  /** When the open window's first and latest requests came (clock ms). */
  firstAt: number;
  lastAt: number;
  /** Chunks of the running round not sent yet. */
  queued: Set<number> | undefined;
}

export class MediaDistributor {
  private readonly files = new Map<string, FileState>();
  private readonly bucket: TokenBucket;
  private readonly windowMs: number;
  private readonly maxWaitMs: number;
  private readonly rounds = new Set<Promise<void>>();
  /** sha256 (or "*" past REFUSAL_LOG_FILES) → refusals since its warning, and the timer of its summary. */
  private readonly refusals = new Map<string, { count: number; devices: Set<string>; timer: TimerHandle }>();
  private closed = false;
  private readonly counts: MediaStats = {
    requests: 0, coalescedRequests: 0, refusedRequests: 0, badIndexes: 0, rounds: 0, chunksPublished: 0, bytesPublished: 0, publishErrors: 0, fileErrors: 0,
  };

  constructor(private readonly deps: MediaDistributorDeps) {
    this.windowMs = deps.windowMs ?? 600;
    this.maxWaitMs = Math.max(this.windowMs, deps.maxWaitMs ?? 3000);
    const bytesPerSec = deps.maxBytesPerSec ?? DEFAULT_MAX_MEDIA_BYTES_PER_SEC;
    this.bucket = new TokenBucket({ clock: deps.clock, bytesPerSec, ...(deps.burstBytes !== undefined ? { burstBytes: deps.burstBytes } : {}) });
  }

  stats(): MediaStats {
    return { ...this.counts };
  }

  onRequest(deviceId: string, req: MediaReqPayload): void {
    if (this.closed) return;
    this.counts.requests++;
    const ref = this.deps.referenced(req.sha256);
    if (!ref) {
      this.refuse(deviceId, req.sha256);
      return;
    }
    const st = this.fileState(req.sha256);
    if (st.timer || st.queued || st.pending.size > 0) this.counts.coalescedRequests++;
    st.lastAt = this.deps.clock.now();
    const chunks = chunkCount(ref);
    for (const index of req.missing) {
      if (index >= chunks) this.counts.badIndexes++;
      else if (!st.queued?.has(index)) st.pending.add(index);
    }
    this.arm(req.sha256, st);
  }

  /** Stop: no new rounds; waits for rounds in progress to stop after their current chunk. */
  async close(): Promise<void> {
    this.closed = true;
    for (const st of this.files.values()) st.timer?.cancel();
    for (const key of [...this.refusals.keys()]) this.summarise(key);
    await Promise.all([...this.rounds]);
    this.files.clear();
  }

  /** Counted always; logged once per file, then once more per REFUSAL_LOG_MS with how many followed. */
  private refuse(deviceId: string, sha256: string): void {
    this.counts.refusedRequests++;
    const key = this.refusals.has(sha256) || this.refusals.size < REFUSAL_LOG_FILES ? sha256 : "*";
    const seen = this.refusals.get(key);
    if (seen) {
      seen.count++;
      seen.devices.add(deviceId);
      return;
    }
    this.deps.log.warn({ deviceId, sha256, refused: this.counts.refusedRequests }, "media request for a file no plan references: refused (more within a minute are logged as one line)");
    const timer = this.deps.clock.setTimeout(() => this.summarise(key), REFUSAL_LOG_MS);
    this.refusals.set(key, { count: 0, devices: new Set(), timer });
  }

  private summarise(key: string): void {
    const r = this.refusals.get(key);
    if (!r) return;
    r.timer.cancel();
    this.refusals.delete(key);
    if (r.count === 0) return;
    this.deps.log.warn({ sha256: key === "*" ? undefined : key, requests: r.count, devices: r.devices.size, withinMs: REFUSAL_LOG_MS }, "more media requests for a file no plan references refused");
  }

  private fileState(sha256: string): FileState {
    let st = this.files.get(sha256);
    if (!st) {
      st = { pending: new Set(), timer: undefined, firstAt: 0, lastAt: 0, queued: undefined };
      this.files.set(sha256, st);
    }
    return st;
  }

  /** Open a window for pending chunks unless one is open or a round is running (it re-arms when done). */
  private arm(sha256: string, st: FileState): void {
    if (st.timer || st.queued || this.closed) return;
    if (st.pending.size === 0) {
      this.files.delete(sha256);
      return;
    }
    st.firstAt = this.deps.clock.now();
    st.lastAt = Math.max(st.lastAt, st.firstAt);
    this.wait(sha256, st, this.windowMs);
  }

  /**
   * One timer per window, not one per request: when it fires it checks whether a request came since and,
   * if so, waits again for the rest of the quiet time (bounded by maxWaitMs from the window's start).
   */
  private wait(sha256: string, st: FileState, ms: number): void {
    st.timer = this.deps.clock.setTimeout(() => {
      st.timer = undefined;
      if (this.closed) return;
      const now = this.deps.clock.now();
      const left = Math.min(st.lastAt + this.windowMs, st.firstAt + this.maxWaitMs) - now;
      if (left > 0) return this.wait(sha256, st, left);
      this.startRound(sha256, st);
    }, ms);
  }

  private startRound(sha256: string, st: FileState): void {
    const round = this.round(sha256, st)
      .catch((err: unknown) => this.deps.log.error({ sha256, err: errorMessage(err) }, "media round failed"))
      .finally(() => {
        this.rounds.delete(round);
        st.queued = undefined;
        this.arm(sha256, st);
      });
    this.rounds.add(round);
  }

  private async round(sha256: string, st: FileState): Promise<void> {
    const indexes = [...st.pending].sort((a, b) => a - b);
    st.pending.clear();
    st.queued = new Set(indexes);
    const ref = this.deps.referenced(sha256);
    if (!ref) return;
    this.counts.rounds++;
    const reader = await this.openChecked(sha256, ref);
    if (!reader) return;
    try {
      for (const index of indexes) {
        if (this.closed) break;
        await this.sendChunk(sha256, ref, reader, index);
        st.queued.delete(index);
      }
    } finally {
      await reader.close().catch(() => undefined);
    }
  }

  private async sendChunk(sha256: string, ref: MediaRef, reader: MediaReader, index: number): Promise<void> {
    const position = index * ref.chunkSize;
    const length = Math.min(ref.chunkSize, ref.bytes - position);
    await this.bucket.take(length);
    try {
      const chunk = await reader.read(position, length);
      await this.deps.bus.publishMedia(sha256, index, chunk);
      this.counts.chunksPublished++;
      this.counts.bytesPublished += chunk.length;
    } catch (err) {
      // The device asks again for what it still lacks (its own retry), so nothing is queued here.
      this.counts.publishErrors++;
      this.deps.log.warn({ sha256, index, err: errorMessage(err) }, "media chunk not published");
    }
  }

  private async openChecked(sha256: string, ref: MediaRef): Promise<MediaReader | undefined> {
    let reader: MediaReader | undefined;
    try {
      reader = await this.deps.source.open(sha256);
    } catch (err) {
      this.deps.log.error({ sha256, err: errorMessage(err) }, "media file could not be opened");
    }
    if (reader && reader.size === ref.bytes) return reader;
    this.counts.fileErrors++;
    if (reader) {
      this.deps.log.error({ sha256, size: reader.size, expected: ref.bytes }, "media file has the wrong size: not served");
      await reader.close().catch(() => undefined);
    } else this.deps.log.error({ sha256 }, "media file referenced by a plan is missing from the media store");
    return undefined;
  }
}
