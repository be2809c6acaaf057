/**
 * Base of every sink that really consumes PCM (alsa, file, null, the test CaptureSink): reads the stream in
 * small frames and hands each to the output no earlier than its real-time due moment, so a play never runs
 * faster than real time and `stop()` takes effect within a frame. Played time is counted in samples.
 */
import type { Readable } from "node:stream";
import type { Clock } from "@loa/shared";
import { errorMessage } from "@loa/shared";
import {
  SinkError,
  pcmBytes,
  pcmMs,
  type AudioSink,
  type PlayHandle,
  type SinkPlayOptions,
  type SinkPlayResult,
  type SinkRecord,
} from "../../ports/audio.js";
import { FrameReader, PlayHistory, sleepUnless } from "./pcm-io.js";

/** Where a paced sink writes one play's PCM. */
export interface PcmOutput {
  /** May resolve later (back-pressure); rejects if the output died. */
  write(frame: Buffer): Promise<void> | void;
  /** After the last frame (or a stop). */
  close(result: { playedMs: number; stopped: boolean }): Promise<void>;
  /** Release after a failure; must not throw. */
  abort(): Promise<void>;
  /** Release an output prepared for a play that never came (default: abort). Must not throw. */
  discard?(): Promise<void>;
  /** False when a prepared output died meanwhile (play() then opens a fresh one). */
  usable?(): boolean;
}

export interface PacedSinkDeps {
  clock: Clock;
  /** Frame length: the granularity of pacing and of stop(). Default 20 ms. */
  frameMs?: number;
  /** How far ahead of real time frames may be written (to keep a device buffer fed). Default 0. */
  leadMs?: number;
  /** How many SinkRecords to keep. Default 1,000. */
  keepRecords?: number;
}

export abstract class PacedSink implements AudioSink {
  protected readonly clock: Clock;
  private readonly frameBytes: number;
  private readonly leadMs: number;
  private readonly history: PlayHistory;
  private readonly prepared = new Map<string, Promise<PcmOutput>>();

  constructor(deps: PacedSinkDeps) {
    this.clock = deps.clock;
    this.frameBytes = Math.max(2, pcmBytes(deps.frameMs ?? 20));
    this.leadMs = deps.leadMs ?? 0;
    this.history = new PlayHistory(deps.keepRecords);
  }

  /** Open the output for one play. Rejections become SinkError("sink_failed"). */
  protected abstract open(opts: SinkPlayOptions): Promise<PcmOutput>;

  /** The last plays, oldest first. */
  records(): readonly SinkRecord[] {
    return this.history.records;
  }

  prepare(opts: SinkPlayOptions): { cancel(): void } {
    const out = this.open(opts);
    out.catch(() => undefined); // play() opens afresh if this failed
    this.prepared.set(opts.playId, out);
    return {
      cancel: () => {
        if (this.prepared.get(opts.playId) !== out) return; // already taken by play()
        this.prepared.delete(opts.playId);
        out.then((o) => (o.discard ?? o.abort)()).catch(() => undefined);
      },
    };
  }

  play(pcm: Readable, opts: SinkPlayOptions): PlayHandle {
    pcm.on("error", () => undefined); // decoder errors are the decoder's to report (DecodeJob.done)
    const ctl = new AbortController();
    let markStarted: (t: number) => void = () => undefined;
    let failStart: (err: unknown) => void = () => undefined;
    const started = new Promise<number>((resolve, reject) => {
      markStarted = resolve;
      failStart = reject;
    });
    const done = this.run(pcm, opts, ctl.signal, (t) => markStarted(t)).catch((err: unknown) => {
      failStart(err);
      throw err;
    });
    started.catch(() => undefined);
    done.catch(() => undefined);
    return { started, done, stop: () => ctl.abort() };
  }

  private async run(pcm: Readable, opts: SinkPlayOptions, signal: AbortSignal, onStart: (t: number) => void): Promise<SinkPlayResult> {
    let out: PcmOutput;
    try {
      out = await this.take(opts);
    } catch (err) {
      throw new SinkError("sink_failed", `cannot open audio output for ${opts.playId}: ${errorMessage(err)}`, undefined, { cause: err });
    }
    try {
      const { start, bytes } = await this.pump(pcm, out, signal, onStart);
      const stopped = signal.aborted;
      if (!stopped) await sleepUnless(this.clock, start + pcmMs(bytes) - this.clock.now(), signal);
      const elapsed = this.clock.now() - start;
      const playedMs = Math.round(signal.aborted ? Math.min(pcmMs(bytes), elapsed) : pcmMs(bytes));
      await out.close({ playedMs, stopped: signal.aborted });
      this.history.add({ playId: opts.playId, startedAt: start, playedMs, stopped: signal.aborted });
      return { playedMs };
    } catch (err) {
      await out.abort();
      if (err instanceof SinkError) throw err;
      throw new SinkError("sink_failed", `audio output failed during ${opts.playId}: ${errorMessage(err)}`, undefined, { cause: err });
    }
  }

  /** The output prepared for this play if it is still good, else a fresh one. */
  private async take(opts: SinkPlayOptions): Promise<PcmOutput> {
    const ready = this.prepared.get(opts.playId);
    this.prepared.delete(opts.playId);
    const out = ready ? await ready.catch(() => undefined) : undefined;
    if (out && (out.usable?.() ?? true)) return out;
    if (out) await out.abort();
    return this.open(opts);
  }

  /** Write frames at their due time until the input ends or the play is stopped. */
  private async pump(pcm: Readable, out: PcmOutput, signal: AbortSignal, onStart: (t: number) => void): Promise<{ start: number; bytes: number }> {
    const reader = new FrameReader(pcm, this.frameBytes);
    let start: number | undefined;
    let bytes = 0;
    for (;;) {
      const frame = await reader.next(signal);
      if (frame === null) break;
      if (start === undefined) {
        start = this.clock.now();
        onStart(start);
      }
      const wait = start + pcmMs(bytes) - this.leadMs - this.clock.now();
      if (wait > 0) await sleepUnless(this.clock, wait, signal);
      if (signal.aborted) break;
      await out.write(frame);
      bytes += frame.length;
    }
    if (start === undefined) {
      start = this.clock.now();
      onStart(start);
    }
    return { start, bytes };
  }

}
