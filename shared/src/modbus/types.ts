/**
 * Modbus RTU application data units as plain data (ARCHITECTURE §5). Function codes 03, 04, 06 and 16 drive
 * amplifiers; 01, 02 and 05 read and switch the coils of cheap relay boards (see profiles/relay-board-v1.json).
 */
export const ModbusFunctionCode = {
  readCoils: 0x01,
  readDiscreteInputs: 0x02,
  readHoldingRegisters: 0x03,
  readInputRegisters: 0x04,
  writeSingleCoil: 0x05,
  writeSingleRegister: 0x06,
  writeMultipleRegisters: 0x10,
} as const;
export type ModbusKnownFunctionCode = (typeof ModbusFunctionCode)[keyof typeof ModbusFunctionCode];

/** Exception codes of the Modbus application protocol (V1.1b3 §7). Slaves in Loa answer 01–04. */
export const ModbusExceptionCode = {
  illegalFunction: 0x01,
  illegalDataAddress: 0x02,
  illegalDataValue: 0x03,
  serverDeviceFailure: 0x04,
  acknowledge: 0x05,
  serverDeviceBusy: 0x06,
} as const;

/** Spec limits per request (Modbus application protocol V1.1b3 §6). */
export const ModbusLimits = {
  maxReadRegisters: 125,
  maxWriteRegisters: 123,
  maxReadBits: 2000,
  /** Largest RTU frame: address + PDU (253) + CRC. */
  maxFrameBytes: 256,
  /** Highest unit id a slave may own; 0 is broadcast. */
  maxUnitId: 247,
} as const;

export type ReadRegistersKind = "readHolding" | "readInput";
export type ReadBitsKind = "readCoils" | "readDiscrete";

/** Master → slave. `unknown` keeps any other function code so a slave can answer exception 01. */
export type ModbusRequest =
  | { kind: ReadRegistersKind; unitId: number; address: number; quantity: number }
  | { kind: ReadBitsKind; unitId: number; address: number; quantity: number }
  | { kind: "writeSingle"; unitId: number; address: number; value: number }
  | { kind: "writeCoil"; unitId: number; address: number; value: boolean }
  | { kind: "writeMultiple"; unitId: number; address: number; values: number[] }
  | { kind: "unknown"; unitId: number; functionCode: number; data: Buffer };

/**
 * Slave → master, normal replies. Read-bits replies carry every bit of the returned bytes (a multiple of 8);
 * the master keeps the first `quantity` of them.
 */
export type ModbusResponse =
  | { kind: ReadRegistersKind; unitId: number; values: number[] }
  | { kind: ReadBitsKind; unitId: number; bits: boolean[] }
  | { kind: "writeSingle"; unitId: number; address: number; value: number }
  | { kind: "writeCoil"; unitId: number; address: number; value: boolean }
  | { kind: "writeMultiple"; unitId: number; address: number; quantity: number };

/** Slave → master: function code with the high bit set, then one exception code byte. */
export interface ModbusException {
  kind: "exception";
  unitId: number;
  /** The request's function code, without the 0x80 bit. */
  functionCode: number;
  exceptionCode: number;
}

export type ModbusReply = ModbusResponse | ModbusException;

export type ModbusKind = Exclude<ModbusRequest["kind"], "unknown">;

export const functionCodeOf: Readonly<Record<ModbusKind, ModbusKnownFunctionCode>> = {
  readCoils: ModbusFunctionCode.readCoils,
  readDiscrete: ModbusFunctionCode.readDiscreteInputs,
  readHolding: ModbusFunctionCode.readHoldingRegisters,
  readInput: ModbusFunctionCode.readInputRegisters,
  writeCoil: ModbusFunctionCode.writeSingleCoil,
  writeSingle: ModbusFunctionCode.writeSingleRegister,
  writeMultiple: ModbusFunctionCode.writeMultipleRegisters,
};

export function requestKindOf(functionCode: number): ModbusKind | undefined {
  for (const [kind, fc] of Object.entries(functionCodeOf)) if (fc === functionCode) return kind as ModbusKind;
  return undefined;
}
