/**
 * Decoder test double: "decodes" a path into PCM of a known length (each file filled with its own sample
 * value, so a test can tell which media was played), or fails like ffmpeg on a corrupt file.
 */
import { Readable } from "node:stream";
import { DecodeError, pcmBytes, type DecodeJob, type DecodeSource, type Decoder } from "../ports/audio.js";
import { toneJob } from "../adapters/audio/ffmpeg-decoder.js";

export interface FakeMedia {
  durationMs: number;
  /** Sample value of every sample; default derived from the path. */
  sample?: number;
  /** Decoding fails: before any PCM ("start") or after half the audio ("middle"). */
  fail?: "start" | "middle";
  /** Produce no PCM at all and never end (a hung decoder). */
  hang?: boolean;
}

const CHUNK = pcmBytes(100);

export function sampleValueOf(path: string): number {
  let h = 7;
  for (const ch of path) h = (h * 31 + ch.charCodeAt(0)) % 20_000;
  return h + 1;
}

export class FakeDecoder implements Decoder {
  readonly decoded: DecodeSource[] = [];
  kills = 0;

  constructor(private readonly media: Record<string, FakeMedia> = {}) {}

  set(path: string, media: FakeMedia): void {
    this.media[path] = media;
  }

  decode(source: DecodeSource): DecodeJob {
    this.decoded.push(source);
    if (source.kind === "tone") return toneJob(source);
    const m = this.media[source.path];
    if (!m) return this.failing(source.path, 0);
    if (m.hang) return { pcm: new Readable({ read: () => undefined }), done: new Promise(() => undefined), kill: () => this.kills++ };
    const total = pcmBytes(m.durationMs);
    if (m.fail) return this.failing(source.path, m.fail === "start" ? 0 : Math.floor(total / 4) * 2, m.sample);
    return this.job(source.path, total, m.sample, undefined);
  }

  private failing(path: string, bytes: number, sample?: number): DecodeJob {
    return this.job(path, bytes, sample, new DecodeError("decode_failed", `fake decoder: cannot decode ${path}`));
  }

  private job(path: string, total: number, sample: number | undefined, error: DecodeError | undefined): DecodeJob {
    const fill = Buffer.alloc(CHUNK);
    const value = sample ?? sampleValueOf(path);
    for (let i = 0; i < CHUNK; i += 2) fill.writeInt16LE(value, i);
    let sent = 0;
    let killed = false;
    let settle: (err?: Error) => void = () => undefined;
    const done = new Promise<void>((resolve, reject) => (settle = (err) => (err ? reject(err) : resolve())));
    done.catch(() => undefined);
    const pcm = new Readable({
      read() {
        if (killed || sent >= total) {
          this.push(null);
          settle(killed ? undefined : error);
          return;
        }
        const n = Math.min(CHUNK, total - sent);
        sent += n;
        this.push(fill.subarray(0, n));
      },
    });
    return { pcm, done, kill: () => {
      this.kills++;
      if (killed || sent >= total) return;
      killed = true;
      settle();
    } };
  }
}
