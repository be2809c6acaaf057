/**
 * Modbus RTU master: matches each request to its reply, the zigbee-herdsman "Waitress" way (STYLE: serial the
 * herdsman way; ARCHITECTURE §5). RS-485 is half duplex, so one request is on the line at a time (a queue).
 * Each attempt waits `timeoutMs`; a timeout or a reply with a bad CRC is retried up to `retries` times. The
 * frame parser is reset before every attempt and replies that do not answer the request in flight (a late
 * reply to an earlier one, another unit) are dropped, so stale bytes are never taken for a fresh answer.
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
}

export const DEFAULT_MODBUS_MASTER_OPTIONS: ModbusMasterOptions = { timeoutMs: 300, retries: 2, gapMs: RTU_DEFAULT_GAP_MS };

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
  /** Well-formed frames that did not answer the request in flight (late replies, other units). */
  staleFrames: number;
  /** Requests that finally failed (any code). */
  failures: number;
}

type Outcome =
  | { kind: "reply"; response: ModbusResponse }
  | { kind: "exception"; reply: Extract<ModbusReply, { kind: "exception" }> }
  | { kind: "timeout" }
  | { kind: "crc" }
  | { kind: "down"; error: unknown };

interface Pending {
  req: ModbusRequest;
  settle: (o: Outcome) => void;
  crcSeen: boolean;
  silence: TimerHandle | undefined;
}

export class ModbusMaster implements ModbusClient {
  readonly options: ModbusMasterOptions;
  private readonly transport: SerialTransport;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly parser: RtuFrameParser;
  private queue: Promise<unknown> = Promise.resolve();
  private pending: Pending | undefined;
  private readonly counters: ModbusMasterStats = {
    requests: 0, attempts: 0, retries: 0, timeouts: 0, crcErrors: 0, exceptions: 0, staleFrames: 0, failures: 0,
  };
  private readonly unsubscribe: (() => void)[];

  constructor(deps: ModbusMasterDeps) {
    this.transport = deps.transport;
    this.clock = deps.clock;
    this.log = deps.log;
    this.options = { ...DEFAULT_MODBUS_MASTER_OPTIONS, ...deps.options };
    this.parser = new RtuFrameParser({ direction: "response", clock: this.clock, gapMs: this.options.gapMs });
    this.unsubscribe = [
      this.transport.on("data", (chunk) => this.onData(chunk)),
      this.transport.on("close", (err) => this.pending?.settle({ kind: "down", error: err ?? new Error("line closed") })),
    ];
  }

  get stats(): ModbusMasterStats {
    return { ...this.counters };
  }

  /**
   * Send `req` once the line is free and resolve with the checked reply. Rejects with AmpError:
   * amp_exception (with `exceptionCode`), amp_timeout, amp_crc or amp_unreachable.
   */
  request(req: ModbusRequest): Promise<ModbusResponse> {
    this.counters.requests++;
    const run = this.queue.then(() => this.exchange(req));
    this.queue = run.catch(() => undefined);
    return run;
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
      if (i > 0) this.counters.retries++;
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
      const timer = this.clock.setTimeout(() => p.settle({ kind: p.crcSeen ? "crc" : "timeout" }), this.options.timeoutMs);
      const p: Pending = {
        req,
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
    if (!p) return; // nothing asked: whatever this is, it answers nothing (the parser is reset per attempt)
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

  private take(p: Pending, frames: Buffer[]): void {
    for (const frame of frames) {
      const outcome = this.match(p.req, frame);
      if (outcome) return p.settle(outcome);
    }
  }

  private match(req: ModbusRequest, frame: Buffer): Outcome | undefined {
    let reply: ModbusReply;
    try {
      reply = decodeResponse(frame);
    } catch (err) {
      this.counters.staleFrames++;
      this.log.debug({ frame: frame.toString("hex"), err: errorMessage(err) }, "undecodable reply dropped");
      return undefined;
    }
    if (!isReplyTo(req, reply)) return this.stale(req, frame, "answers another request");
    if (reply.kind === "exception") {
      this.counters.exceptions++;
      return { kind: "exception", reply };
    }
    try {
      return { kind: "reply", response: expectReply(req, reply) };
    } catch (err) {
      // Same unit and function but another address/value/count: a late reply to an earlier request.
      return this.stale(req, frame, errorMessage(err));
    }
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

function encodeOrRefuse(req: ModbusRequest): Buffer {
  try {
    return encodeRequest(req);
  } catch (err) {
    throw new AmpError("amp_invalid_value", `cannot send ${describeRequest(req)}: ${errorMessage(err)}`, { unitId: req.unitId }, { cause: err });
  }
}
