/**
 * Cuts a byte stream into CRC-checked RTU frames (ARCHITECTURE §5; STYLE: "serial the herdsman way").
 * Bad CRC or impossible headers: drop one byte and retry from the next, so a frame after noise is still found.
 * A silence longer than `gapMs` ends whatever is half-received (RTU delimits frames by silence).
 */
import type { Clock } from "../clock.js";
import { hasValidCrc } from "./crc.js";
import { rtuFrameLength, type RtuDirection } from "./framing.js";
import { ModbusLimits } from "./types.js";

export interface RtuParserOptions {
  /** "request" on a slave (parses master → slave frames), "response" on a master. */
  direction: RtuDirection;
  /** With a clock, a push after a silence of `gapMs` first settles the bytes held before the silence. */
  clock?: Clock;
  /** Inter-frame silence; 3.5 characters is 4 ms at 9600 baud, but PTYs and USB adapters batch bytes. */
  gapMs?: number;
}

export interface RtuParserStats {
  /** Frames emitted with a good CRC. */
  frames: number;
  /** Candidate frames of known length whose CRC did not match. */
  crcErrors: number;
  /** Bytes skipped while resynchronising or discarded by reset/silence. */
  droppedBytes: number;
}

export const RTU_DEFAULT_GAP_MS = 50;

export class RtuFrameParser {
  readonly direction: RtuDirection;
  readonly gapMs: number;
  private readonly clock: Clock | undefined;
  private buf: Buffer = Buffer.alloc(0);
  private lastAt: number | undefined;
  private readonly counters: RtuParserStats = { frames: 0, crcErrors: 0, droppedBytes: 0 };

  constructor(opts: RtuParserOptions) {
    this.direction = opts.direction;
    this.clock = opts.clock;
    this.gapMs = opts.gapMs ?? RTU_DEFAULT_GAP_MS;
  }

  get stats(): RtuParserStats {
    return { ...this.counters };
  }

  /** Bytes held while waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.buf.length;
  }

  /** Feed bytes as they arrive; returns the frames (CRC included) completed by them, oldest first. */
  push(chunk: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    if (this.clock) {
      const now = this.clock.now();
      if (this.lastAt !== undefined && now - this.lastAt >= this.gapMs) this.scan(out, true);
      this.lastAt = now;
    }
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    this.scan(out, false);
    return out;
  }

  /**
   * The line went silent (or the stream ended): no more bytes belong to what is held. Emits what can be
   * cut from it (including requests of unknown layout whose CRC covers everything held) and drops the rest.
   */
  flush(): Buffer[] {
    const out: Buffer[] = [];
    this.scan(out, true);
    return out;
  }

  /** Forget any half frame at once, e.g. after the port reopened. */
  reset(): void {
    this.counters.droppedBytes += this.buf.length;
    this.buf = Buffer.alloc(0);
    this.lastAt = undefined;
  }

  private scan(out: Buffer[], atSilence: boolean): void {
    let pos = 0;
    for (;;) {
      const step = pos < this.buf.length ? this.step(pos, atSilence, out) : 0;
      if (step === 0) break;
      pos += step;
    }
    if (pos > 0) this.buf = Buffer.from(this.buf.subarray(pos));
  }

  /** Bytes consumed at `pos`: a frame's length, 1 (skip a byte) or 0 (wait for more). */
  private step(pos: number, atSilence: boolean, out: Buffer[]): number {
    const length = rtuFrameLength(this.direction, this.buf, pos);
    const held = this.buf.length - pos;
    if (length === "invalid") return this.drop(1);
    if (length === "more") return atSilence ? this.drop(1) : 0;
    if (length === "silence") return this.stepUnknown(pos, held, atSilence, out);
    if (length > held) return atSilence ? this.drop(1) : 0;
    if (hasValidCrc(this.buf, pos, length)) return this.emit(pos, length, out);
    this.counters.crcErrors++;
    return this.drop(1);
  }

  /**
   * A request whose layout is unknown ends at the next silence. Until then, if a complete frame of known
   * layout shows up further on, the held bytes before it were noise.
   */
  private stepUnknown(pos: number, held: number, atSilence: boolean, out: Buffer[]): number {
    if (atSilence) return held >= 4 && hasValidCrc(this.buf, pos, held) ? this.emit(pos, held, out) : this.drop(1);
    const next = this.nextKnownFrame(pos + 1);
    if (next !== undefined) return this.drop(next - pos);
    return held >= ModbusLimits.maxFrameBytes ? this.drop(1) : 0;
  }

  private nextKnownFrame(from: number): number | undefined {
    for (let at = from; at < this.buf.length; at++) {
      const length = rtuFrameLength(this.direction, this.buf, at);
      if (typeof length === "number" && at + length <= this.buf.length && hasValidCrc(this.buf, at, length)) return at;
    }
    return undefined;
  }

  private emit(pos: number, length: number, out: Buffer[]): number {
    out.push(Buffer.from(this.buf.subarray(pos, pos + length)));
    this.counters.frames++;
    return length;
  }

  private drop(count: number): number {
    this.counters.droppedBytes += count;
    return count;
  }
}
