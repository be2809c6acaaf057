import { LoaError } from "../errors.js";
import type { ModbusException } from "./types.js";

/**
 * - modbus_crc: a frame's CRC does not match.
 * - modbus_frame: bytes that are not a well-formed frame (length, byte count, function code).
 * - modbus_range: a field out of its legal range (quantity, address, value); a slave answers exception 03.
 * - modbus_exception: the slave answered with an exception response.
 * - modbus_timeout: no reply in time (raised by the driver's request matcher).
 */
export type ModbusErrorCode = "modbus_crc" | "modbus_frame" | "modbus_range" | "modbus_exception" | "modbus_timeout";

export interface ModbusErrorInfo {
  unitId?: number;
  functionCode?: number;
  /** For modbus_exception the slave's code; for decode errors the code a slave should answer with. */
  exceptionCode?: number;
  [key: string]: unknown;
}

export class ModbusError extends LoaError {
  declare readonly code: ModbusErrorCode;
  readonly unitId: number | undefined;
  readonly functionCode: number | undefined;
  readonly exceptionCode: number | undefined;

  constructor(code: ModbusErrorCode, message: string, info: ModbusErrorInfo = {}, options?: { cause?: unknown }) {
    super(code, message, info, options);
    this.unitId = info.unitId;
    this.functionCode = info.functionCode;
    this.exceptionCode = info.exceptionCode;
  }

  static fromException(ex: ModbusException): ModbusError {
    const name = exceptionName(ex.exceptionCode);
    return new ModbusError(
      "modbus_exception",
      `unit ${ex.unitId} answered function ${ex.functionCode} with exception ${ex.exceptionCode} (${name})`,
      { unitId: ex.unitId, functionCode: ex.functionCode, exceptionCode: ex.exceptionCode },
    );
  }
}

const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  1: "illegal function",
  2: "illegal data address",
  3: "illegal data value",
  4: "server device failure",
  5: "acknowledge",
  6: "server device busy",
};

export function exceptionName(exceptionCode: number): string {
  return EXCEPTION_NAMES[exceptionCode] ?? "unknown exception";
}
