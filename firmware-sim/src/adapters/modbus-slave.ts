/**
 * ModbusSlave: an AmpEngine on a byte stream (ARCHITECTURE §5). Any Duplex works: one end of
 * createDuplexPair() in tests, a SerialPort on a real device or a socat PTY. Frames are cut by the shared
 * RtuFrameStream (direction "request"); replies go out at once, or later under `slow_response`.
 */
import { RTU_DEFAULT_GAP_MS, RtuFrameStream, type Clock, type RtuParserStats, type TimerHandle } from "@loa/shared";
import type { Logger } from "pino";
import type { Duplex } from "node:stream";
import type { AmpEngine } from "../core/amp-engine.js";

export interface ModbusSlaveDeps {
  engine: AmpEngine;
  /** The line; the slave reads requests from it and writes replies to it, but does not own it. */
  stream: Duplex;
  clock: Clock;
  log?: Logger;
  /** Silence that ends a half-received frame (default RTU_DEFAULT_GAP_MS, generous for PTYs and USB). */
  gapMs?: number;
}

export interface ModbusSlaveStats extends RtuParserStats {
  /** Replies written to the line (including damaged ones). */
  replies: number;
}

export class ModbusSlave {
  private readonly engine: AmpEngine;
  private readonly stream: Duplex;
  private readonly clock: Clock;
  private readonly log: Logger | undefined;
  private readonly frames: RtuFrameStream;
  private readonly pending = new Set<TimerHandle>();
  private replies = 0;
  /** When the last reply queued goes out: replies leave in request order, as from one firmware loop. */
  private lastDueMs = 0;
  private closed = false;
  private readonly onData = (chunk: Buffer): void => void this.frames.write(chunk);
  private readonly onError = (err: Error): void => this.log?.warn({ err }, "serial line error");

  constructor(deps: ModbusSlaveDeps) {
    this.engine = deps.engine;
    this.stream = deps.stream;
    this.clock = deps.clock;
    this.log = deps.log;
    this.frames = new RtuFrameStream({ direction: "request", clock: deps.clock, gapMs: deps.gapMs ?? RTU_DEFAULT_GAP_MS });
    this.frames.on("data", (frame: Buffer) => this.onFrame(frame));
    this.stream.on("data", this.onData);
    this.stream.on("error", this.onError);
  }

  get stats(): ModbusSlaveStats {
    return { ...this.frames.stats, replies: this.replies };
  }

  /** Stop answering: detach from the stream and drop replies still waiting (the stream stays open). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.off("data", this.onData);
    this.stream.off("error", this.onError);
    for (const timer of this.pending) timer.cancel();
    this.pending.clear();
    this.frames.destroy();
  }

  private onFrame(frame: Buffer): void {
    if (this.closed) return;
    let out;
    try {
      out = this.engine.handleFrame(frame);
    } catch (err) {
      // A bug in the engine must not take the line down: log it and stay silent, as firmware would.
      this.log?.error({ err, frame: frame.toString("hex") }, "request handling failed");
      return;
    }
    if (!out) return;
    const { bytes, delayMs } = out;
    const now = this.clock.now();
    // A reply never overtakes an earlier one, even when the delay was shortened or cleared meanwhile.
    const due = Math.max(now + Math.max(0, delayMs), this.lastDueMs);
    this.lastDueMs = due;
    if (due <= now) return this.writeReply(bytes);
    const timer = this.clock.setTimeout(() => {
      this.pending.delete(timer);
      this.writeReply(bytes);
    }, due - now);
    this.pending.add(timer);
  }

  private writeReply(bytes: Buffer): void {
    if (this.closed || this.stream.destroyed || this.stream.writableEnded) return;
    this.replies++;
    this.stream.write(bytes);
  }
}
