/** Requests, master → slave (ARCHITECTURE §5). Pure functions: bytes in, data out, and back. */
import { appendCrc } from "./crc.js";
import { ModbusError, type ModbusErrorInfo } from "./errors.js";
import { ModbusExceptionCode, ModbusFunctionCode, ModbusLimits, functionCodeOf, requestKindOf, type ModbusRequest } from "./types.js";
import { COIL_OFF, COIL_ON, checkInt, checkSpan, checkUnitId, encodeWriteCoil, encodeWriteSingle, expectLength, openFrame, putU16, twoWordFrame, u16, words } from "./wire.js";

/** Validate and serialise a request, CRC included. Throws ModbusError `modbus_range` on a bad field. */
export function encodeRequest(req: ModbusRequest): Buffer {
  checkUnitId(req.unitId);
  switch (req.kind) {
    case "readHolding":
    case "readInput":
    case "readCoils":
    case "readDiscrete": {
      const max = req.kind === "readHolding" || req.kind === "readInput" ? ModbusLimits.maxReadRegisters : ModbusLimits.maxReadBits;
      checkInt("quantity", req.quantity, 1, max);
      checkSpan(req.address, req.quantity);
      return twoWordFrame(req.unitId, functionCodeOf[req.kind], req.address, req.quantity);
    }
    case "writeSingle":
      return encodeWriteSingle(req.unitId, req.address, req.value);
    case "writeCoil":
      return encodeWriteCoil(req.unitId, req.address, req.value);
    case "writeMultiple":
      return encodeWriteMultiple(req.unitId, req.address, req.values);
    case "unknown":
      checkInt("function code", req.functionCode, 1, 0x7f);
      checkInt("data length", req.data.length, 0, ModbusLimits.maxFrameBytes - 4);
      return appendCrc(Buffer.concat([Buffer.from([req.unitId, req.functionCode]), req.data]));
  }
}

function encodeWriteMultiple(unitId: number, address: number, values: readonly number[]): Buffer {
  checkInt("quantity", values.length, 1, ModbusLimits.maxWriteRegisters);
  checkSpan(address, values.length);
  values.forEach((v, i) => checkInt(`values[${i}]`, v, 0, 0xffff));
  const body = Buffer.alloc(7 + 2 * values.length);
  body[0] = unitId;
  body[1] = ModbusFunctionCode.writeMultipleRegisters;
  putU16(body, 2, address);
  putU16(body, 4, values.length);
  body[6] = 2 * values.length;
  values.forEach((v, i) => putU16(body, 7 + 2 * i, v));
  return appendCrc(body);
}

/**
 * Parse one complete request frame (as cut by RtuFrameParser). Throws ModbusError:
 * `modbus_crc` / `modbus_frame` (a slave stays silent) or `modbus_range` with `exceptionCode`, `unitId`
 * and `functionCode` set (a slave answers that exception). Unknown function codes decode to `kind: "unknown"`.
 */
export function decodeRequest(frame: Uint8Array): ModbusRequest {
  const { unitId, functionCode } = openFrame(frame);
  const info: ModbusErrorInfo = { unitId, functionCode };
  if (functionCode === 0 || functionCode >= 0x80) {
    throw new ModbusError("modbus_frame", `function code ${functionCode} is not a request`, info);
  }
  const kind = requestKindOf(functionCode);
  switch (kind) {
    case undefined:
      return { kind: "unknown", unitId, functionCode, data: Buffer.from(frame.subarray(2, frame.length - 2)) };
    case "readHolding":
    case "readInput":
    case "readCoils":
    case "readDiscrete": {
      expectLength(frame, 8, info);
      const [address = 0, quantity = 0] = words(frame, 2, 2);
      const max = kind === "readHolding" || kind === "readInput" ? ModbusLimits.maxReadRegisters : ModbusLimits.maxReadBits;
      checkInt("quantity", quantity, 1, max, info);
      checkSpan(address, quantity, info);
      return { kind, unitId, address, quantity };
    }
    case "writeSingle":
      expectLength(frame, 8, info);
      return { kind, unitId, address: u16(frame, 2), value: u16(frame, 4) };
    case "writeCoil":
      return decodeWriteCoil(frame, info);
    case "writeMultiple":
      return decodeWriteMultiple(frame, info);
  }
}

function decodeWriteCoil(frame: Uint8Array, info: ModbusErrorInfo): ModbusRequest {
  expectLength(frame, 8, info);
  const raw = u16(frame, 4);
  if (raw !== COIL_ON && raw !== COIL_OFF) {
    throw new ModbusError("modbus_range", `coil value 0x${raw.toString(16)} is neither 0xFF00 nor 0x0000`, {
      ...info,
      exceptionCode: ModbusExceptionCode.illegalDataValue,
    });
  }
  return { kind: "writeCoil", unitId: info.unitId ?? 0, address: u16(frame, 2), value: raw === COIL_ON };
}

function decodeWriteMultiple(frame: Uint8Array, info: ModbusErrorInfo): ModbusRequest {
  const byteCount = frame[6] ?? 0;
  expectLength(frame, 9 + byteCount, info);
  const address = u16(frame, 2);
  const quantity = u16(frame, 4);
  checkInt("quantity", quantity, 1, ModbusLimits.maxWriteRegisters, info);
  if (byteCount !== 2 * quantity) {
    throw new ModbusError("modbus_range", `byte count ${byteCount} does not match quantity ${quantity}`, {
      ...info,
      exceptionCode: ModbusExceptionCode.illegalDataValue,
    });
  }
  checkSpan(address, quantity, info);
  return { kind: "writeMultiple", unitId: info.unitId ?? 0, address, values: words(frame, 7, quantity) };
}
