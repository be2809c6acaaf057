/**
 * RtuFrameParser as a stream: pipe a serial port in, read one CRC-checked frame Buffer per chunk out.
 * With a clock, a timer settles a half frame `gapMs` after the last byte, so a request of unknown layout
 * is answered without waiting for the next one (ARCHITECTURE §5).
 */
import { Transform, type TransformCallback } from "node:stream";
import type { TimerHandle } from "../clock.js";
import { RtuFrameParser, type RtuParserOptions, type RtuParserStats } from "./parser.js";

export class RtuFrameStream extends Transform {
  readonly parser: RtuFrameParser;
  private readonly opts: RtuParserOptions;
  private timer: TimerHandle | undefined;

  constructor(opts: RtuParserOptions) {
    super({ readableObjectMode: true });
    this.opts = opts;
    this.parser = new RtuFrameParser(opts);
  }

  get stats(): RtuParserStats {
    return this.parser.stats;
  }

  /** Drop any half frame now (e.g. before sending a new request after a timeout). */
  reset(): void {
    this.cancelTimer();
    this.parser.reset();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.cancelTimer();
    for (const frame of this.parser.push(chunk)) this.push(frame);
    this.armTimer();
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.cancelTimer();
    for (const frame of this.parser.flush()) this.push(frame);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.cancelTimer();
    callback(error);
  }

  private armTimer(): void {
    const clock = this.opts.clock;
    if (!clock || this.parser.pendingBytes === 0) return;
    this.timer = clock.setTimeout(() => {
      this.timer = undefined;
      for (const frame of this.parser.flush()) this.push(frame);
    }, this.parser.gapMs);
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
