/**
 * Frame lengths from headers. RTU frames carry no length prefix, so the reader must know which way the
 * bytes flow: a request and its reply with the same function code have different layouts (ARCHITECTURE §5).
 */
import { ModbusLimits } from "./types.js";

export type RtuDirection = "request" | "response";

/**
 * - a number: the whole frame's length in bytes (it may not all have arrived yet);
 * - "more": the header is not complete enough to tell;
 * - "invalid": these bytes cannot start a frame in this direction;
 * - "silence": a request with a function code of unknown layout, delimited only by the inter-frame gap.
 */
export type RtuFrameLength = number | "more" | "invalid" | "silence";

/** Where a request's layout puts its byte count, for the variable-length serial-line function codes. */
interface Variable {
  countAt: number;
  fixed: number;
}

/**
 * Request layouts of the public function codes a serial slave may see (Modbus application protocol §6),
 * including those Loa does not implement, so a slave can cut them and answer exception 01 at once.
 */
const REQUEST_LAYOUT: ReadonlyMap<number, number | Variable> = new Map<number, number | Variable>([
  [0x01, 8], [0x02, 8], [0x03, 8], [0x04, 8], [0x05, 8], [0x06, 8],
  [0x07, 4], [0x08, 8], [0x0b, 4], [0x0c, 4], [0x11, 4], [0x16, 10], [0x18, 6],
  [0x0f, { countAt: 6, fixed: 9 }], [0x10, { countAt: 6, fixed: 9 }],
  [0x14, { countAt: 2, fixed: 5 }], [0x15, { countAt: 2, fixed: 5 }],
  [0x17, { countAt: 10, fixed: 13 }],
]);

export function rtuFrameLength(direction: RtuDirection, buf: Uint8Array, at: number): RtuFrameLength {
  const unitId = buf[at];
  const fc = buf[at + 1];
  if (unitId === undefined) return "more";
  if (unitId > ModbusLimits.maxUnitId || (direction === "response" && unitId === 0)) return "invalid";
  if (fc === undefined) return "more";
  return direction === "request" ? requestLength(buf, at, fc) : responseLength(buf, at, fc);
}

function requestLength(buf: Uint8Array, at: number, fc: number): RtuFrameLength {
  if (fc === 0 || fc >= 0x80) return "invalid";
  const layout = REQUEST_LAYOUT.get(fc);
  if (layout === undefined) return "silence";
  if (typeof layout === "number") return layout;
  const count = buf[at + layout.countAt];
  if (count === undefined) return "more";
  if (!plausibleWrite(buf, at, fc, count)) return "invalid";
  return checked(layout.fixed + count);
}

/**
 * A write-multiple header whose byte count disagrees with its quantity is taken as noise, not framed: a slave
 * should strictly answer it with exception 03, but waiting for up to 255 bytes of a bogus frame would stall
 * every good frame behind it until the next silence.
 */
function plausibleWrite(buf: Uint8Array, at: number, fc: number, count: number): boolean {
  if (fc !== 0x0f && fc !== 0x10) return true;
  const quantity = ((buf[at + 4] ?? 0) << 8) | (buf[at + 5] ?? 0);
  if (fc === 0x10) return quantity >= 1 && quantity <= ModbusLimits.maxWriteRegisters && count === 2 * quantity;
  return quantity >= 1 && quantity <= 1968 && count === Math.ceil(quantity / 8);
}

function responseLength(buf: Uint8Array, at: number, fc: number): RtuFrameLength {
  if (fc & 0x80) return fc === 0x80 ? "invalid" : 5;
  switch (fc) {
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x04: {
      const count = buf[at + 2];
      if (count === undefined) return "more";
      const registers = fc === 0x03 || fc === 0x04;
      if (count === 0 || count > 2 * ModbusLimits.maxReadRegisters || (registers && count % 2 !== 0)) return "invalid";
      return 5 + count;
    }
    case 0x05:
    case 0x06:
    case 0x0f:
    case 0x10:
      return 8;
    default:
      return "invalid";
  }
}

function checked(length: number): RtuFrameLength {
  return length > ModbusLimits.maxFrameBytes ? "invalid" : length;
}

/**
 * The RTU inter-frame silence, 3.5 character times of 11 bits, fixed at 1.75 ms above 19200 baud
 * (Modbus over serial line V1.02 §2.5.1.1). Real links through PTYs and USB adapters need far more slack.
 */
export function rtuSilenceMs(baud: number): number {
  return baud > 19200 ? 1.75 : (3.5 * 11 * 1000) / baud;
}
