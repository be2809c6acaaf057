/** Replies, slave → master, including exception responses (ARCHITECTURE §5). */
import { appendCrc } from "./crc.js";
import { ModbusError, type ModbusErrorInfo } from "./errors.js";
import {
  ModbusFunctionCode,
  ModbusLimits,
  functionCodeOf,
  requestKindOf,
  type ModbusReply,
  type ModbusRequest,
  type ModbusResponse,
} from "./types.js";
import { COIL_ON, checkInt, checkSpan, checkUnitId, encodeWriteCoil, encodeWriteSingle, expectLength, openFrame, packBits, putU16, twoWordFrame, u16, unpackBits, words } from "./wire.js";

/** Validate and serialise a reply, CRC included. */
export function encodeResponse(reply: ModbusReply): Buffer {
  checkUnitId(reply.unitId);
  switch (reply.kind) {
    case "exception":
      return encodeException(reply.unitId, reply.functionCode, reply.exceptionCode);
    case "readHolding":
    case "readInput": {
      checkInt("register count", reply.values.length, 1, ModbusLimits.maxReadRegisters);
      reply.values.forEach((v, i) => checkInt(`values[${i}]`, v, 0, 0xffff));
      const data = Buffer.alloc(2 * reply.values.length);
      reply.values.forEach((v, i) => putU16(data, 2 * i, v));
      return withByteCount(reply.unitId, functionCodeOf[reply.kind], data);
    }
    case "readCoils":
    case "readDiscrete":
      checkInt("bit count", reply.bits.length, 1, ModbusLimits.maxReadBits);
      return withByteCount(reply.unitId, functionCodeOf[reply.kind], packBits(reply.bits));
    case "writeSingle":
      return encodeWriteSingle(reply.unitId, reply.address, reply.value);
    case "writeCoil":
      return encodeWriteCoil(reply.unitId, reply.address, reply.value);
    case "writeMultiple":
      checkInt("quantity", reply.quantity, 1, ModbusLimits.maxWriteRegisters);
      checkSpan(reply.address, reply.quantity);
      return twoWordFrame(reply.unitId, ModbusFunctionCode.writeMultipleRegisters, reply.address, reply.quantity);
  }
}

/** Exception response: function code | 0x80, then the exception code (01 illegal function … 04 device failure). */
export function encodeException(unitId: number, functionCode: number, exceptionCode: number): Buffer {
  checkUnitId(unitId);
  checkInt("function code", functionCode, 1, 0x7f);
  checkInt("exception code", exceptionCode, 1, 0xff);
  return appendCrc(Buffer.from([unitId, functionCode | 0x80, exceptionCode]));
}

function withByteCount(unitId: number, fc: number, data: Buffer): Buffer {
  return appendCrc(Buffer.concat([Buffer.from([unitId, fc, data.length]), data]));
}

/** Parse one complete reply frame. Throws ModbusError `modbus_crc` or `modbus_frame`; exceptions are data. */
export function decodeResponse(frame: Uint8Array): ModbusReply {
  const { unitId, functionCode } = openFrame(frame);
  const info: ModbusErrorInfo = { unitId, functionCode };
  if (functionCode & 0x80) {
    expectLength(frame, 5, info);
    return { kind: "exception", unitId, functionCode: functionCode & 0x7f, exceptionCode: frame[2] ?? 0 };
  }
  const kind = requestKindOf(functionCode);
  switch (kind) {
    case undefined:
      throw new ModbusError("modbus_frame", `function code ${functionCode} is not supported in replies`, info);
    case "readHolding":
    case "readInput": {
      const byteCount = frame[2] ?? 0;
      expectLength(frame, 5 + byteCount, info);
      if (byteCount === 0 || byteCount % 2 !== 0) {
        throw new ModbusError("modbus_frame", `register reply byte count ${byteCount} is not a positive even number`, info);
      }
      return { kind, unitId, values: words(frame, 3, byteCount / 2) };
    }
    case "readCoils":
    case "readDiscrete": {
      const byteCount = frame[2] ?? 0;
      expectLength(frame, 5 + byteCount, info);
      return { kind, unitId, bits: unpackBits(frame, 3, byteCount) };
    }
    case "writeSingle":
      expectLength(frame, 8, info);
      return { kind, unitId, address: u16(frame, 2), value: u16(frame, 4) };
    case "writeCoil":
      expectLength(frame, 8, info);
      return { kind, unitId, address: u16(frame, 2), value: u16(frame, 4) === COIL_ON };
    case "writeMultiple":
      expectLength(frame, 8, info);
      return { kind, unitId, address: u16(frame, 2), quantity: u16(frame, 4) };
  }
}

/** Whether `reply` is addressed as an answer to `req`: same unit id and function code (normal or exception). */
export function isReplyTo(req: ModbusRequest, reply: ModbusReply): boolean {
  if (reply.unitId !== req.unitId) return false;
  const fc = req.kind === "unknown" ? req.functionCode : functionCodeOf[req.kind];
  return reply.kind === "exception" ? reply.functionCode === fc : reply.kind === req.kind;
}

/**
 * The master's check of a reply against its request: throws `modbus_exception` for an exception reply and
 * `modbus_frame` when the reply does not answer the request (wrong unit, function, count or echo).
 * Read-bits replies come back trimmed to the requested quantity.
 */
export function expectReply(req: ModbusRequest, reply: ModbusReply): ModbusResponse {
  const info: ModbusErrorInfo = { unitId: reply.unitId, functionCode: reply.kind === "exception" ? reply.functionCode : undefined };
  if (!isReplyTo(req, reply)) throw new ModbusError("modbus_frame", `reply ${describe(reply)} does not answer ${req.kind} to unit ${req.unitId}`, info);
  if (reply.kind === "exception") throw ModbusError.fromException(reply);
  const problem = mismatch(req, reply);
  if (problem) throw new ModbusError("modbus_frame", `reply to ${req.kind}: ${problem}`, info);
  if ((reply.kind === "readCoils" || reply.kind === "readDiscrete") && "quantity" in req) {
    return { ...reply, bits: reply.bits.slice(0, req.quantity) };
  }
  return reply;
}

function mismatch(req: ModbusRequest, reply: ModbusResponse): string | undefined {
  if ("values" in reply && "quantity" in req && reply.values.length !== req.quantity) {
    return `${reply.values.length} registers for ${req.quantity} asked`;
  }
  if ("bits" in reply && "quantity" in req && Math.ceil(req.quantity / 8) * 8 !== reply.bits.length) {
    return `${reply.bits.length / 8} bytes of bits for ${req.quantity} asked`;
  }
  if ("address" in reply && "address" in req && reply.address !== req.address) return `address ${reply.address} echoed`;
  if (reply.kind === "writeMultiple" && req.kind === "writeMultiple" && reply.quantity !== req.values.length) {
    return `quantity ${reply.quantity} echoed`;
  }
  if ((reply.kind === "writeSingle" || reply.kind === "writeCoil") && "value" in req && reply.value !== req.value) {
    return `value ${String(reply.value)} echoed`;
  }
  return undefined;
}

function describe(reply: ModbusReply): string {
  return reply.kind === "exception" ? `exception to function ${reply.functionCode} from unit ${reply.unitId}` : `${reply.kind} from unit ${reply.unitId}`;
}
