/**
 * The `timing` sink: for the fleet simulator's 1,000 receivers. It records the exact start and paces for the
 * plan's durationMs without touching PCM (pair it with SilentDecoder: no ffmpeg at all). Given real PCM and no
 * durationMs it counts the samples instead, so it still honours the AudioSink contract.
 */
import type { Readable } from "node:stream";
import type { Clock } from "@loa/shared";
import { pcmMs, type AudioSink, type PlayHandle, type SinkPlayOptions, type SinkRecord } from "../../ports/audio.js";
import { PlayHistory, sleepUnless } from "./pcm-io.js";

export interface TimingSinkDeps {
  clock: Clock;
  keepRecords?: number;
}

export class TimingSink implements AudioSink {
  private readonly clock: Clock;
  private readonly history: PlayHistory;

  constructor(deps: TimingSinkDeps) {
    this.clock = deps.clock;
    this.history = new PlayHistory(deps.keepRecords);
  }

  records(): readonly SinkRecord[] {
    return this.history.records;
  }

  play(pcm: Readable, opts: SinkPlayOptions): PlayHandle {
    const start = this.clock.now();
    if (opts.durationMs !== undefined) return this.timed(pcm, opts.playId, start, opts.durationMs);
    const ctl = new AbortController();
    const length = countMs(pcm, ctl.signal);
    const done = length.then(async (ms) => {
      await sleepUnless(this.clock, start + ms - this.clock.now(), ctl.signal);
      const playedMs = Math.round(Math.min(ms, this.clock.now() - start));
      this.history.add({ playId: opts.playId, startedAt: start, playedMs, stopped: ctl.signal.aborted });
      return { playedMs };
    });
    return { started: Promise.resolve(start), done, stop: () => ctl.abort() };
  }

  /**
   * The plan's length is known: one timer and nothing else, so a start costs only its stamp (500 receivers
   * of a fleet process start within a millisecond of each other). The PCM is not needed; its errors are
   * ignored from now on and it is drained a turn later.
   */
  private timed(pcm: Readable, playId: string, start: number, ms: number): PlayHandle {
    pcm.on("error", () => undefined);
    setImmediate(() => pcm.resume());
    let end: ((stopped: boolean) => void) | undefined;
    const done = new Promise<{ playedMs: number }>((resolve) => {
      const timer = this.clock.setTimeout(() => end?.(false), ms);
      end = (stopped) => {
        end = undefined;
        timer.cancel();
        const playedMs = Math.round(Math.min(ms, this.clock.now() - start));
        this.history.add({ playId, startedAt: start, playedMs, stopped });
        resolve({ playedMs });
      };
    });
    return { started: Promise.resolve(start), done, stop: () => end?.(true) };
  }
}

/** Length of the PCM in ms, counted without pacing (the sleep afterwards paces); Infinity-safe on stop. */
function countMs(pcm: Readable, signal: AbortSignal): Promise<number> {
  return new Promise((resolve) => {
    let bytes = 0;
    const finish = (): void => {
      pcm.off("data", onData);
      resolve(pcmMs(bytes));
    };
    const onData = (c: Buffer): void => {
      bytes += c.length;
    };
    pcm.on("data", onData);
    pcm.once("end", finish);
    pcm.once("close", finish);
    pcm.on("error", () => finish());
    signal.addEventListener("abort", () => finish(), { once: true });
  });
}
