/**
 * AudioSink test double: the real pacing (PacedSink, so it honours the sink contract on any clock) writing
 * into memory, so tests can check which PCM was played, when, and for how long.
 */
import { PacedSink, type PacedSinkDeps, type PcmOutput } from "../adapters/audio/paced-sink.js";
import type { SinkPlayOptions } from "../ports/audio.js";

export interface CapturedPlay {
  playId: string;
  /** Clock time of the first sample written. */
  firstAt: number;
  pcm: Buffer[];
}

export class CaptureSink extends PacedSink {
  readonly captured: CapturedPlay[] = [];
  /** playIds whose output was prepared ahead (pre-roll), and those released unused. */
  readonly preparedIds: string[] = [];
  readonly cancelledIds: string[] = [];
  /** While set, every open() rejects with it (the output cannot be opened). */
  failOpen: Error | undefined;

  constructor(deps: PacedSinkDeps) {
    super({ frameMs: 50, ...deps });
  }

  /** All PCM played for `playId`, concatenated. */
  pcmOf(playId: string): Buffer {
    return Buffer.concat(this.captured.filter((c) => c.playId === playId).flatMap((c) => c.pcm));
  }

  override prepare(opts: SinkPlayOptions): { cancel(): void } {
    this.preparedIds.push(opts.playId);
    const inner = super.prepare(opts);
    return { cancel: () => {
      if (!this.captured.some((c) => c.playId === opts.playId)) this.cancelledIds.push(opts.playId);
      inner.cancel();
    } };
  }

  protected open(opts: SinkPlayOptions): Promise<PcmOutput> {
    if (this.failOpen) return Promise.reject(this.failOpen);
    let cap: CapturedPlay | undefined; // created at the first sample: a prepared, unused output leaves no trace
    return Promise.resolve({
      write: (frame) => {
        if (!cap) this.captured.push((cap = { playId: opts.playId, firstAt: this.clock.now(), pcm: [] }));
        cap.pcm.push(Buffer.from(frame));
      },
      close: () => Promise.resolve(),
      abort: () => Promise.resolve(),
    });
  }
}
