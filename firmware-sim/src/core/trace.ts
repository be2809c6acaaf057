/**
 * The register trace: every request the slave saw and every reply it sent, as data tests can read
 * (`engine.trace()`) or follow (`engine.onTrace(fn)`), and the CLI can log as JSON Lines.
 */
import { functionCodeOf, type ModbusReply, type ModbusRequest } from "@loa/shared";

/**
 * Why a request got no normal answer, or what happened to a reply on the line:
 * - other_unit: addressed to another unit id, ignored;
 * - broadcast: unit 0, writes applied, never answered;
 * - no_response: dropped by the `no_response` fault;
 * - corrupted / garbage: the reply was damaged by `crc_noise`.
 */
export type TraceNote = "other_unit" | "broadcast" | "no_response" | "corrupted" | "garbage";

export interface TraceEntry {
  /** Clock time, epoch ms. */
  t: number;
  dir: "request" | "reply";
  unitId: number;
  /** Function code, without the exception bit. */
  fc: number;
  address?: number;
  quantity?: number;
  /** Registers read or written (raw words), or bits as 0/1. */
  values?: number[];
  /** Exception code of an exception reply. */
  exception?: number;
  /** Delay before the reply went out (slow_response). */
  delayMs?: number;
  note?: TraceNote;
}

export type TraceListener = (entry: TraceEntry) => void;

/** A bounded ring of entries plus listeners. */
export class Trace {
  private readonly entries: TraceEntry[] = [];
  private readonly listeners = new Set<TraceListener>();

  constructor(private readonly limit: number) {}

  add(entry: TraceEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
    for (const listener of this.listeners) listener(entry);
  }

  list(): TraceEntry[] {
    return [...this.entries];
  }

  clear(): void {
    this.entries.length = 0;
  }

  listen(listener: TraceListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
}

export function requestEntry(t: number, req: ModbusRequest, note?: TraceNote): TraceEntry {
  const base = { t, dir: "request" as const, unitId: req.unitId };
  const withNote = note === undefined ? {} : { note };
  switch (req.kind) {
    case "unknown":
      return { ...base, fc: req.functionCode, ...withNote };
    case "readHolding":
    case "readInput":
    case "readCoils":
    case "readDiscrete":
      return { ...base, fc: functionCodeOf[req.kind], address: req.address, quantity: req.quantity, ...withNote };
    case "writeSingle":
      return { ...base, fc: functionCodeOf[req.kind], address: req.address, values: [req.value], ...withNote };
    case "writeCoil":
      return { ...base, fc: functionCodeOf[req.kind], address: req.address, values: [req.value ? 1 : 0], ...withNote };
    case "writeMultiple":
      return { ...base, fc: functionCodeOf[req.kind], address: req.address, quantity: req.values.length, values: [...req.values], ...withNote };
  }
}

/** `address` is the request's, since read replies do not carry it. */
export function replyEntry(t: number, reply: ModbusReply, address: number | undefined): TraceEntry {
  const base = { t, dir: "reply" as const, unitId: reply.unitId };
  const at = address === undefined ? {} : { address };
  switch (reply.kind) {
    case "exception":
      return { ...base, fc: reply.functionCode, ...at, exception: reply.exceptionCode };
    case "readHolding":
    case "readInput":
      return { ...base, fc: functionCodeOf[reply.kind], ...at, values: [...reply.values] };
    case "readCoils":
    case "readDiscrete":
      return { ...base, fc: functionCodeOf[reply.kind], ...at, values: reply.bits.map(Number) };
    case "writeSingle":
      return { ...base, fc: functionCodeOf[reply.kind], address: reply.address, values: [reply.value] };
    case "writeCoil":
      return { ...base, fc: functionCodeOf[reply.kind], address: reply.address, values: [reply.value ? 1 : 0] };
    case "writeMultiple":
      return { ...base, fc: functionCodeOf[reply.kind], address: reply.address, quantity: reply.quantity };
  }
}
