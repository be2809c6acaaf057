/**
 * Modbus RTU master: matches each request to its reply, the zigbee-herdsman "Waitress" way (STYLE: serial the
 * herdsman way; ARCHITECTURE §5). RS-485 is half duplex, so one request is on the line at a time (a queue).
 * Each attempt waits `timeoutMs`; a timeout or a reply with a bad CRC is retried up to `retries` times. The
 * frame parser is reset before every attempt and replies that do not answer the request in flight (another
 * unit, function, address or count) are dropped. Modbus RTU has no transaction id, and two reads of one
 * register each look alike on the wire, so a timed-out attempt is remembered as *owed*: a slave answers in
 * order, so the next frames that fit it are its late reply and are dropped too (see `payOwed`). A silent slave
 * never pays what it owes, so a retry first waits out what other requests still owe (see `quietLine`). Stale
 * bytes are never taken for a fresh answer as long as a late reply comes within `lateReplyMs` of its timeout.
 */
import {
  RTU_DEFAULT_GAP_MS,
  RtuFrameParser,
  decodeResponse,
  encodeRequest,
  errorMessage,
  exceptionName,
  expectReply,
  isLoaError,
  isReplyTo,
  type Clock,
  type ModbusReply,
  type ModbusRequest,
  type ModbusResponse,
  type TimerHandle,
} from "@loa/shared";
import type { Logger } from "pino";
import { Serial } from "../../lib/serial.js";
import { AmpError } from "../../ports/amplifier.js";
import type { SerialTransport } from "../../ports/serial.js";
import { describeRequest } from "./describe.js";

/** What the amplifier driver needs from a master; tests may pass a scripted one. */
export interface ModbusClient {
  request(req: ModbusRequest): Promise<ModbusResponse>;
}

export interface ModbusMasterOptions {
  /** Wait for a reply per attempt. */
  timeoutMs: number;
  /** Extra attempts after a timeout or a bad-CRC reply (not after an exception or a dead line). */
  retries: number;
  /** Silence that ends a reply; after a bad CRC the retry goes out once the line was quiet this long. */
  gapMs: number;
  /** How long after an attempt timed out its late reply is still expected (and dropped when it comes). */
  lateReplyMs: number;
}

export const DEFAULT_MODBUS_MASTER_OPTIONS: ModbusMasterOptions = { timeoutMs: 300, retries: 2, gapMs: RTU_DEFAULT_GAP_MS, lateReplyMs: 1_000 };

export interface ModbusMasterDeps {
  transport: SerialTransport;
  clock: Clock;
  log: Logger;
  options?: Partial<ModbusMasterOptions>;
}

export interface ModbusMasterStats {
  /** Requests asked for (not attempts). */
  requests: number;
  /** Attempts sent on the line, retries included. */
  attempts: number;
  retries: number;
  /** Attempts that ended without a reply. */
  timeouts: number;
  /** Frames dropped for a bad CRC while waiting. */
  crcErrors: number;
  /** Exception replies. */
  exceptions: number;
  /** Well-formed frames that did not answer the request in flight (late replies to timed-out attempts, other units). */
  staleFrames: number;
  /** Requests that finally failed (any code). */
  failures: number;
  /** Timed-out attempts held as owed right now (a level, not a count; bounded, see `maxOwed`). */
  owed: number;
}

type Outcome =
  | { kind: "reply"; response: ModbusResponse }
  | { kind: "exception"; reply: Extract<ModbusReply, { kind: "exception" }> }
  | { kind: "timeout" }
  | { kind: "crc" }
  | { kind: "down"; error: unknown };

type Classified = Extract<Outcome, { kind: "reply" | "exception" }> | { kind: "other"; why: string };

interface Pending {
  req: ModbusRequest;
  /** The request's bytes on the wire. */
  frame: Buffer;
  settle: (o: Outcome) => void;
  crcSeen: boolean;
  silence: TimerHandle | undefined;
}

/** An attempt that got no reply in time: its reply may still come, late, and must not answer another request. */
interface Owed {
  req: ModbusRequest;
  frame: Buffer;
  /** Clock time after which its reply is no longer expected. */
  until: number;
}

export class ModbusMaster implements ModbusClient {
  readonly options: ModbusMasterOptions;
  private readonly transport: SerialTransport;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly parser: RtuFrameParser;
  /** Half duplex: one request on the line at a time. */
  private readonly line = new Serial();
  private pending: Pending | undefined;
  /** Timed-out attempts whose late replies may still come, oldest first. */
  private owed: Owed[] = [];
  /**
   * One attempt is on the line at a time, so at most one is owed per `timeoutMs`, each for `lateReplyMs`: with a
   * steady clock no more than this many are ever still expected. The cap only bites when the wall clock stands
   * still or steps back (a Pi has no RTC; NTP steps it), where expiry alone would let the list grow.
   */
  private readonly maxOwed: number;
  /** Set while a retry waits for a quiet line: told whenever owed entries are paid or forgotten. */
  private owedChanged: (() => void) | undefined;
  private readonly counters: Omit<ModbusMasterStats, "owed"> = {
    requests: 0, attempts: 0, retries: 0, timeouts: 0, crcErrors: 0, exceptions: 0, staleFrames: 0, failures: 0,
  };
  private readonly unsubscribe: (() => void)[];

  constructor(deps: ModbusMasterDeps) {
    this.transport = deps.transport;
    this.clock = deps.clock;
    this.log = deps.log;
    this.options = { ...DEFAULT_MODBUS_MASTER_OPTIONS, ...deps.options };
    this.parser = new RtuFrameParser({ direction: "response", clock: this.clock, gapMs: this.options.gapMs });
    this.maxOwed = Math.floor(this.options.lateReplyMs / Math.max(1, this.options.timeoutMs)) + 1;
    this.unsubscribe = [
      this.transport.on("data", (chunk) => this.onData(chunk)),
      this.transport.on("close", (err) => {
        this.owed = []; // nothing late comes over a line that closed
        this.owedChanged?.();
        this.pending?.settle({ kind: "down", error: err ?? new Error("line closed") });
      }),
    ];
  }

  get stats(): ModbusMasterStats {
    return { ...this.counters, owed: this.owed.length };
  }

  /**
   * Send `req` once the line is free and resolve with the checked reply. Rejects with AmpError:
   * amp_exception (with `exceptionCode`), amp_timeout, amp_crc or amp_unreachable.
   */
  request(req: ModbusRequest): Promise<ModbusResponse> {
    this.counters.requests++;
    return this.line.run(() => this.exchange(req));
  }

  /** Stop listening to the transport; a request in flight fails as unreachable. */
  dispose(): void {
    for (const off of this.unsubscribe) off();
    this.pending?.settle({ kind: "down", error: new Error("master disposed") });
  }

  private async exchange(req: ModbusRequest): Promise<ModbusResponse> {
    const frame = encodeOrRefuse(req);
    const attempts = this.options.retries + 1;
    let last: Outcome = { kind: "timeout" };
    for (let i = 0; i < attempts; i++) {
      if (i > 0) {
        this.counters.retries++;
        await this.quietLine(frame);
      }
      last = await this.attempt(req, frame);
      if (last.kind === "reply") return last.response;
      if (last.kind === "exception" || last.kind === "down") break;
      if (last.kind === "timeout") this.counters.timeouts++;
      this.log.debug({ req: describeRequest(req), attempt: i + 1, outcome: last.kind }, "modbus attempt failed");
    }
    this.counters.failures++;
    throw this.failure(req, last, attempts);
  }

  private attempt(req: ModbusRequest, frame: Buffer): Promise<Outcome> {
    if (!this.transport.isOpen) {
      return Promise.resolve({ kind: "down", error: new Error(`${this.transport.name} is ${this.transport.state}`) });
    }
    this.counters.attempts++;
    this.parser.reset();
    return new Promise<Outcome>((resolve) => {
      const timer = this.clock.setTimeout(() => {
        // After a damaged reply the answer came and went; after silence it may still come, late.
        if (!p.crcSeen) this.owe(p);
        p.settle({ kind: p.crcSeen ? "crc" : "timeout" });
      }, this.options.timeoutMs);
      const p: Pending = {
        req,
        frame,
        crcSeen: false,
        silence: undefined,
        settle: (o) => {
          if (this.pending !== p) return;
          this.pending = undefined;
          timer.cancel();
          p.silence?.cancel();
          resolve(o);
        },
      };
      this.pending = p;
      this.transport.write(frame).catch((error: unknown) => p.settle({ kind: "down", error }));
    });
  }

  private onData(chunk: Buffer): void {
    const p = this.pending;
    if (!p) {
      // Nothing asked: only a late reply can come now; let it pay what it owes (the parser is reset per attempt).
      if (this.owed.length > 0) this.take(undefined, this.parser.push(chunk));
      return;
    }
    const crcBefore = this.parser.stats.crcErrors;
    this.take(p, this.parser.push(chunk));
    if (this.pending !== p) return;
    if (this.parser.stats.crcErrors > crcBefore) this.noteCrc(p, this.parser.stats.crcErrors - crcBefore);
    // RTU ends a frame by silence: settle a held half frame when the line goes quiet.
    p.silence?.cancel();
    p.silence = this.clock.setTimeout(() => this.onSilence(p), this.options.gapMs);
  }

  private onSilence(p: Pending): void {
    p.silence = undefined;
    if (this.pending !== p) return;
    const crcBefore = this.parser.stats.crcErrors;
    this.take(p, this.parser.flush());
    if (this.pending !== p) return;
    if (this.parser.stats.crcErrors > crcBefore) this.noteCrc(p, this.parser.stats.crcErrors - crcBefore);
    // A corrupted reply is over and nothing valid followed it: retry now rather than at the timeout.
    if (p.crcSeen) p.settle({ kind: "crc" });
  }

  private noteCrc(p: Pending, count: number): void {
    this.counters.crcErrors += count;
    p.crcSeen = true;
  }

  private take(p: Pending | undefined, frames: Buffer[]): void {
    for (const frame of frames) {
      const reply = this.decode(frame);
      if (!reply) continue;
      const outcome = this.payOwed(p, reply, frame);
      if (outcome === "dropped" || !p) continue;
      const result = outcome ?? this.match(p.req, reply, frame);
      if (result) return p.settle(result);
    }
  }

  private owe(p: Pending): void {
    this.forgetExpired();
    this.owed.push({ req: p.req, frame: p.frame, until: this.clock.now() + this.options.lateReplyMs });
    // Drop the oldest: its late reply was due first, so it is the first not to be expected any more.
    if (this.owed.length > this.maxOwed) this.owed.splice(0, this.owed.length - this.maxOwed);
  }

  private forgetExpired(): void {
    const now = this.clock.now();
    if (this.owed.some((o) => o.until <= now)) this.owed = this.owed.filter((o) => o.until > now);
  }

  /**
   * Before a retry, while attempts of *other* requests are owed: send nothing until every owed reply has come or
   * is no longer expected (at most `lateReplyMs`), then forget them all. Order alone cannot tell a slow slave from
   * one that was silent on those attempts and has since answered this request (its answer, fitting an owed
   * attempt, was dropped): the two look the same on the wire. Once the line has been quiet that long, whatever
   * answers the retry is its own. It is also what RS-485 wants: the line is half duplex, and a request sent while
   * a late reply is still coming collides with it, losing both. The first attempt of a request is not held back
   * (a slow slave's late replies come first and are told apart by order); a retry of the same request, with only
   * its own attempts owed, is not either: any of their replies is as good an answer.
   */
  private async quietLine(frame: Buffer): Promise<void> {
    this.forgetExpired();
    if (this.owed.every((o) => o.frame.equals(frame))) return;
    const last = Math.max(...this.owed.map((o) => o.until));
    // Bounded by lateReplyMs too, so a wall clock stepped back cannot hold the line for longer.
    const waitMs = Math.min(this.options.lateReplyMs, last - this.clock.now());
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.owedChanged = undefined;
        timer.cancel();
        resolve();
      };
      const timer = this.clock.setTimeout(done, waitMs);
      this.owedChanged = () => {
        if (this.owed.length === 0) done();
      };
    });
    this.owed = [];
  }

  /**
   * A half-duplex slave answers in order, so a frame that fits a timed-out attempt (the oldest it fits) is that
   * attempt's late reply: the ones owed before it will not be answered any more, and it is dropped. Unless the
   * attempt asked exactly what the one in flight asks (a retry, a repeated poll): then it is as good an answer,
   * and the attempt in flight is owed in its place, since its own reply is still to come.
   * Returns undefined when the frame pays nothing.
   */
  private payOwed(p: Pending | undefined, reply: ModbusReply, frame: Buffer): Outcome | "dropped" | undefined {
    this.forgetExpired();
    const i = this.owed.findIndex((o) => classify(o.req, reply).kind !== "other");
    const paid = this.owed[i];
    if (!paid) return undefined;
    this.owed.splice(0, i + 1);
    this.owedChanged?.();
    if (p && paid.frame.equals(p.frame)) {
      this.owe(p);
      return this.match(p.req, reply, frame);
    }
    this.stale(paid.req, frame, "late reply to an attempt that timed out");
    return "dropped";
  }

  private decode(frame: Buffer): ModbusReply | undefined {
    try {
      return decodeResponse(frame);
    } catch (err) {
      this.counters.staleFrames++;
      this.log.debug({ frame: frame.toString("hex"), err: errorMessage(err) }, "undecodable reply dropped");
      return undefined;
    }
  }

  private match(req: ModbusRequest, reply: ModbusReply, frame: Buffer): Outcome | undefined {
    const c = classify(req, reply);
    if (c.kind === "other") return this.stale(req, frame, c.why);
    if (c.kind === "exception") this.counters.exceptions++;
    return c;
  }

  private stale(req: ModbusRequest, frame: Buffer, why: string): undefined {
    this.counters.staleFrames++;
    this.log.debug({ req: describeRequest(req), frame: frame.toString("hex"), why }, "stale reply dropped");
    return undefined;
  }

  private failure(req: ModbusRequest, last: Outcome, attempts: number): AmpError {
    const what = describeRequest(req);
    const info = { unitId: req.unitId, request: what };
    switch (last.kind) {
      case "exception": {
        const { exceptionCode, functionCode } = last.reply;
        const code = String(exceptionCode).padStart(2, "0");
        return new AmpError("amp_exception", `amplifier unit ${req.unitId} refused ${what}: exception ${code} (${exceptionName(exceptionCode)})`, {
          ...info, functionCode, exceptionCode,
        });
      }
      case "down": {
        const cause = isLoaError(last.error) ? `${last.error.message} (${last.error.code})` : errorMessage(last.error);
        return new AmpError("amp_unreachable", `amplifier unit ${req.unitId} unreachable for ${what}: ${cause}`, info, { cause: last.error });
      }
      case "crc":
        return new AmpError("amp_crc", `amplifier unit ${req.unitId}: replies to ${what} failed the CRC check, ${attempts} attempts`, {
          ...info, attempts,
        });
      default:
        return new AmpError("amp_timeout", `no reply from amplifier unit ${req.unitId} to ${what} within ${this.options.timeoutMs} ms, ${attempts} attempts`, {
          ...info, attempts,
        });
    }
  }
}

/**
 * How `reply` stands to `req`: its answer (same unit and function, matching echo or count), its exception, or
 * not an answer to it at all (`why` says what differs). Pure: both matching the request in flight and paying
 * an owed attempt ask this, and only the former counts and logs.
 */
function classify(req: ModbusRequest, reply: ModbusReply): Classified {
  if (!isReplyTo(req, reply)) return { kind: "other", why: "answers another request" };
  if (reply.kind === "exception") return { kind: "exception", reply };
  try {
    return { kind: "reply", response: expectReply(req, reply) };
  } catch (err) {
    // Same unit and function but another address/value/count: a late reply to an earlier request.
    return { kind: "other", why: errorMessage(err) };
  }
}

function encodeOrRefuse(req: ModbusRequest): Buffer {
  try {
    return encodeRequest(req);
  } catch (err) {
    throw new AmpError("amp_invalid_value", `cannot send ${describeRequest(req)}: ${errorMessage(err)}`, { unitId: req.unitId }, { cause: err });
  }
}
