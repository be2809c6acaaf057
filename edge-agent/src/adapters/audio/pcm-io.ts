/** Small stream, timing and record helpers shared by the sinks. */
import type { Readable } from "node:stream";
import type { Clock } from "@loa/shared";
import { PCM_BYTES_PER_SAMPLE, type SinkRecord } from "../../ports/audio.js";

/** Sleep on `clock`, cut short (resolving) when `signal` aborts. */
export function sleepUnless(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = (): void => {
      timer.cancel();
      resolve();
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Next chunk of `pcm` (paused mode), or null at its end, on error (the decoder reports decode errors itself),
 * or when `signal` aborts. Uses read() so an already-buffered chunk is returned without waiting for an event.
 */
function readChunk(pcm: Readable, signal: AbortSignal): Promise<Buffer | null> {
  if (signal.aborted) return Promise.resolve(null);
  const chunk = pcm.read() as Buffer | string | null;
  if (chunk !== null) return Promise.resolve(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  if (pcm.readableEnded || pcm.destroyed || pcm.errored) return Promise.resolve(null);
  return new Promise((resolve) => {
    const finish = (value: Buffer | null | "again"): void => {
      pcm.off("readable", onReadable);
      pcm.off("end", onEnd);
      pcm.off("error", onEnd);
      pcm.off("close", onEnd);
      signal.removeEventListener("abort", onEnd);
      if (value === "again") resolve(readChunk(pcm, signal));
      else resolve(value);
    };
    const onReadable = (): void => finish("again");
    const onEnd = (): void => finish(null);
    pcm.on("readable", onReadable);
    pcm.on("end", onEnd);
    pcm.on("error", onEnd);
    pcm.on("close", onEnd);
    signal.addEventListener("abort", onEnd, { once: true });
  });
}

/** Cuts a PCM stream into frames of `frameBytes` (whole samples); the last frame may be shorter. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(
    private readonly pcm: Readable,
    private readonly frameBytes: number,
  ) {}

  async next(signal: AbortSignal): Promise<Buffer | null> {
    while (this.pending.length < this.frameBytes && !this.ended) {
      const chunk = await readChunk(this.pcm, signal);
      if (signal.aborted) return null;
      if (chunk === null) this.ended = true;
      else this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    }
    const whole = this.pending.length - (this.pending.length % PCM_BYTES_PER_SAMPLE);
    const take = Math.min(this.frameBytes, whole);
    if (take === 0) return null;
    const frame = this.pending.subarray(0, take);
    this.pending = this.pending.subarray(take);
    return frame;
  }
}

/** The last plays a sink remembers, oldest first, at most `keep` of them. */
export class PlayHistory {
  private readonly list: SinkRecord[] = [];

  constructor(private readonly keep = 1_000) {}

  get records(): readonly SinkRecord[] {
    return this.list;
  }

  add(rec: SinkRecord): void {
    this.list.push(rec);
    if (this.list.length > this.keep) this.list.splice(0, this.list.length - this.keep);
  }
}
