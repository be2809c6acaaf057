import { Readable } from "node:stream";
import type { DecodeJob, DecodeSource, Decoder } from "../../ports/audio.js";

/**
 * Decoder that produces no PCM and spawns nothing: for the fleet simulator, where 1,000 receivers pair it
 * with the TimingSink (which paces for the plan's durationMs) instead of running 1,000 ffmpeg processes.
 */
export class SilentDecoder implements Decoder {
  readonly sources: DecodeSource[] = [];

  decode(source: DecodeSource): DecodeJob {
    if (this.sources.length < 1_000) this.sources.push(source);
    return { pcm: Readable.from([]), done: Promise.resolve(), kill: () => undefined };
  }
}
