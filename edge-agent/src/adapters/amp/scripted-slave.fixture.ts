/**
 * A tiny Modbus RTU slave for unit tests, independent of the firmware simulator: register tables, a trace of
 * every request with the clock time, and a script of misbehaviours for the next requests (stay silent, answer
 * with a corrupted CRC, answer late, answer an exception, send line noise first).
 */
import type { Duplex } from "node:stream";
import {
  ModbusError,
  RtuFrameParser,
  decodeRequest,
  encodeException,
  encodeResponse,
  functionCodeOf,
  type Clock,
  type ModbusReply,
  type ModbusRequest,
} from "@loa/shared";

export type SlaveAction =
  | { kind: "silent" }
  | { kind: "badCrc" }
  | { kind: "late"; ms: number }
  | { kind: "exception"; code: number }
  | { kind: "noise"; bytes: number[] };

export interface SlaveTrace {
  t: number;
  req: ModbusRequest;
}

export class ScriptedSlave {
  readonly holding = new Map<number, number>();
  readonly input = new Map<number, number>();
  readonly coils = new Map<number, boolean>();
  readonly trace: SlaveTrace[] = [];
  /** Raw value limits per holding address: writes outside answer exception 03. */
  readonly limits = new Map<number, [number, number]>();
  private readonly script: SlaveAction[] = [];
  private stream: Duplex | undefined;
  private readonly parser = new RtuFrameParser({ direction: "request" });

  constructor(
    private readonly clock: Clock,
    readonly unitId = 1,
  ) {}

  /** Serve on `stream` (replacing any earlier one). */
  attach(stream: Duplex): void {
    this.parser.reset();
    this.stream = stream;
    stream.on("data", (chunk: Buffer) => this.onData(stream, chunk));
    stream.on("error", () => undefined);
  }

  /** Misbehave on the next requests, in order (one action per request). */
  next(...actions: SlaveAction[]): this {
    this.script.push(...actions);
    return this;
  }

  /** Writes to holding registers / coils as "address=value" strings, in order. */
  writes(): string[] {
    return this.trace.flatMap(({ req }) =>
      req.kind === "writeSingle" ? [`${req.address}=${req.value}`] : req.kind === "writeCoil" ? [`coil${req.address}=${req.value ? 1 : 0}`] : [],
    );
  }

  private onData(stream: Duplex, chunk: Buffer): void {
    // In memory a request arrives whole, so what is left after a chunk is a frame of unknown layout: cut it now.
    const frames = this.parser.push(chunk);
    if (this.parser.pendingBytes > 0) frames.push(...this.parser.flush());
    for (const frame of frames) {
      let req: ModbusRequest;
      try {
        req = decodeRequest(frame);
      } catch (err) {
        if (err instanceof ModbusError && err.exceptionCode !== undefined && err.unitId === this.unitId) {
          this.send(stream, encodeException(this.unitId, err.functionCode ?? 0, err.exceptionCode));
        }
        continue;
      }
      if (req.unitId !== this.unitId) continue;
      this.trace.push({ t: this.clock.now(), req });
      this.reply(stream, req, this.script.shift());
    }
  }

  private reply(stream: Duplex, req: ModbusRequest, action: SlaveAction | undefined): void {
    if (action?.kind === "silent") return;
    const frame =
      action?.kind === "exception"
        ? encodeException(this.unitId, functionOf(req), action.code)
        : encodeAnswer(this.unitId, this.answer(req), req);
    if (action?.kind === "badCrc") frame[frame.length - 1] = (frame[frame.length - 1] ?? 0) ^ 0xff;
    if (action?.kind === "noise") this.send(stream, Buffer.from(action.bytes));
    if (action?.kind === "late") this.clock.setTimeout(() => this.send(stream, frame), action.ms);
    else this.send(stream, frame);
  }

  /** The reply, or an exception code. Applies writes. */
  private answer(req: ModbusRequest): ModbusReply | number {
    switch (req.kind) {
      case "readHolding":
      case "readInput": {
        const table = req.kind === "readHolding" ? this.holding : this.input;
        const values: number[] = [];
        for (let a = req.address; a < req.address + req.quantity; a++) {
          const v = table.get(a);
          if (v === undefined) return 2;
          values.push(v);
        }
        return { kind: req.kind, unitId: this.unitId, values };
      }
      case "readCoils": {
        const bits: boolean[] = [];
        for (let a = req.address; a < req.address + req.quantity; a++) {
          const v = this.coils.get(a);
          if (v === undefined) return 2;
          bits.push(v);
        }
        return { kind: "readCoils", unitId: this.unitId, bits };
      }
      case "writeSingle": {
        if (!this.holding.has(req.address)) return 2;
        const [lo, hi] = this.limits.get(req.address) ?? [0, 0xffff];
        if (req.value < lo || req.value > hi) return 3;
        this.holding.set(req.address, req.value);
        return { kind: "writeSingle", unitId: this.unitId, address: req.address, value: req.value };
      }
      case "writeCoil":
        if (!this.coils.has(req.address)) return 2;
        this.coils.set(req.address, req.value);
        return { kind: "writeCoil", unitId: this.unitId, address: req.address, value: req.value };
      default:
        return 1;
    }
  }

  private send(stream: Duplex, bytes: Buffer): void {
    if (stream === this.stream && !stream.destroyed) stream.write(bytes);
  }
}

function functionOf(req: ModbusRequest): number {
  return req.kind === "unknown" ? req.functionCode : functionCodeOf[req.kind];
}

function encodeAnswer(unitId: number, answer: ModbusReply | number, req: ModbusRequest): Buffer {
  if (typeof answer !== "number") return encodeResponse(answer);
  return encodeException(unitId, functionOf(req), answer);
}
