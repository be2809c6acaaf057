/** Byte-level helpers shared by the request and response codecs. */
import { appendCrc, hasValidCrc } from "./crc.js";
import { ModbusError, type ModbusErrorInfo } from "./errors.js";
import { ModbusExceptionCode, ModbusFunctionCode, ModbusLimits } from "./types.js";

export function u16(frame: Uint8Array, at: number): number {
  return ((frame[at] ?? 0) << 8) | (frame[at + 1] ?? 0);
}

export function putU16(out: Uint8Array, at: number, value: number): void {
  out[at] = (value >>> 8) & 0xff;
  out[at + 1] = value & 0xff;
}

export function words(frame: Uint8Array, at: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(u16(frame, at + 2 * i));
  return out;
}

/** Coils travel LSB first: bit 0 of the first byte is the lowest address. */
export function packBits(bits: readonly boolean[]): Buffer {
  const out = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((on, i) => {
    if (on) out[i >> 3] = (out[i >> 3] ?? 0) | (1 << (i & 7));
  });
  return out;
}

export function unpackBits(frame: Uint8Array, at: number, byteCount: number): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i < byteCount * 8; i++) out.push((((frame[at + (i >> 3)] ?? 0) >> (i & 7)) & 1) === 1);
  return out;
}

/** On the wire a coil is 0xFF00 (on) or 0x0000 (off); anything else is illegal (exception 03). */
export const COIL_ON = 0xff00;
export const COIL_OFF = 0x0000;

export function checkInt(name: string, value: number, min: number, max: number, info: ModbusErrorInfo = {}): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ModbusError("modbus_range", `${name} ${value} is outside ${min}..${max}`, {
      exceptionCode: ModbusExceptionCode.illegalDataValue,
      ...info,
    });
  }
}

export function checkUnitId(unitId: number): void {
  checkInt("unit id", unitId, 0, ModbusLimits.maxUnitId);
}

/** address..address+quantity-1 must stay inside the 16-bit address space. */
export function checkSpan(address: number, quantity: number, info: ModbusErrorInfo = {}): void {
  checkInt("address", address, 0, 0xffff, info);
  if (address + quantity > 0x10000) {
    throw new ModbusError("modbus_range", `address ${address} + quantity ${quantity} passes 65535`, {
      exceptionCode: ModbusExceptionCode.illegalDataAddress,
      ...info,
    });
  }
}

/** Common checks before decoding: length, CRC. Returns the PDU-level view (unit id and function code). */
export function openFrame(frame: Uint8Array): { unitId: number; functionCode: number } {
  if (frame.length < 4) throw new ModbusError("modbus_frame", `frame of ${frame.length} bytes is too short`);
  if (frame.length > ModbusLimits.maxFrameBytes) {
    throw new ModbusError("modbus_frame", `frame of ${frame.length} bytes is longer than ${ModbusLimits.maxFrameBytes}`);
  }
  const unitId = frame[0] ?? 0;
  const functionCode = frame[1] ?? 0;
  if (!hasValidCrc(frame)) throw new ModbusError("modbus_crc", "frame CRC does not match", { unitId, functionCode });
  return { unitId, functionCode };
}

export function expectLength(frame: Uint8Array, length: number, info: ModbusErrorInfo): void {
  if (frame.length !== length) {
    throw new ModbusError("modbus_frame", `function ${info.functionCode} needs ${length} bytes, got ${frame.length}`, info);
  }
}

/** unit | function | u16 | u16 | CRC: a read request, and a single write, which the reply echoes byte for byte. */
export function twoWordFrame(unitId: number, fc: number, first: number, second: number): Buffer {
  const body = Buffer.alloc(6);
  body[0] = unitId;
  body[1] = fc;
  putU16(body, 2, first);
  putU16(body, 4, second);
  return appendCrc(body);
}

/** FC 06, request or echoed reply (the same frame). Throws `modbus_range` on a bad field. */
export function encodeWriteSingle(unitId: number, address: number, value: number): Buffer {
  checkInt("address", address, 0, 0xffff);
  checkInt("value", value, 0, 0xffff);
  return twoWordFrame(unitId, ModbusFunctionCode.writeSingleRegister, address, value);
}

/** FC 05, request or echoed reply (the same frame). Throws `modbus_range` on a bad address. */
export function encodeWriteCoil(unitId: number, address: number, on: boolean): Buffer {
  checkInt("address", address, 0, 0xffff);
  return twoWordFrame(unitId, ModbusFunctionCode.writeSingleCoil, address, on ? COIL_ON : COIL_OFF);
}
