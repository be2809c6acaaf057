/**
 * The amplifier driver (ARCHITECTURE §5): serial transports, the Modbus RTU master and the profile-driven
 * Amplifier, plus `createSerialAmplifier`, the one-call wiring main.ts uses.
 */
import type { AmpProfile, Clock } from "@loa/shared";
import type { Logger } from "pino";
import type { ReconnectBackoff } from "../../ports/serial.js";
import { ModbusAmplifier, type ModbusAmplifierOptions } from "./modbus-amplifier.js";
import { ModbusMaster, type ModbusMasterOptions } from "./modbus-master.js";
import { SerialPortTransport } from "./serialport-transport.js";

export { ReconnectingTransport, type LineHandlers, type OpenLine, type ReconnectingTransportDeps } from "./reconnecting-transport.js";
export { SerialPortTransport, type SerialPortTransportDeps } from "./serialport-transport.js";
export { StreamTransport, type StreamTransportDeps } from "./stream-transport.js";
export {
  ModbusMaster,
  DEFAULT_MODBUS_MASTER_OPTIONS,
  type ModbusClient,
  type ModbusMasterDeps,
  type ModbusMasterOptions,
  type ModbusMasterStats,
} from "./modbus-master.js";
export { ModbusAmplifier, DEFAULT_MODBUS_AMPLIFIER_OPTIONS, type ModbusAmplifierDeps, type ModbusAmplifierOptions } from "./modbus-amplifier.js";
export { StatusReader, decodeStatus, type RawByRole, type StatusContext } from "./amp-status.js";
export { describeRequest } from "./describe.js";

export interface SerialAmplifierConfig {
  /** /dev/ttyUSB0, /dev/serial0, a PTY path. */
  path: string;
  profile: AmpProfile;
  /** Default the profile's unitId. */
  unitId?: number;
  /** Default the profile's baud rate. */
  baud?: number;
  master?: Partial<ModbusMasterOptions>;
  amp?: Partial<ModbusAmplifierOptions>;
  backoff?: Partial<ReconnectBackoff>;
}

export interface SerialAmplifier {
  amp: ModbusAmplifier;
  master: ModbusMaster;
  transport: SerialPortTransport;
  /** Open the line; never rejects (a missing adapter is retried in the background and logged). */
  start(): Promise<void>;
  /** Stop retrying and close the line. Call after the last amplifier command (AmpControl.shutdown). */
  stop(): Promise<void>;
}

/** Build transport, master and amplifier for one serial line and profile. */
export function createSerialAmplifier(deps: { clock: Clock; log: Logger } & SerialAmplifierConfig): SerialAmplifier {
  const { clock, log, profile } = deps;
  const serial = { ...profile.serial, ...(deps.baud === undefined ? {} : { baud: deps.baud }) };
  const transport = new SerialPortTransport({ path: deps.path, serial, clock, log, ...(deps.backoff ? { backoff: deps.backoff } : {}) });
  const master = new ModbusMaster({ transport, clock, log, ...(deps.master ? { options: deps.master } : {}) });
  const amp = new ModbusAmplifier({
    client: master, profile, clock, log, transport,
    ...(deps.unitId === undefined ? {} : { unitId: deps.unitId }),
    ...(deps.amp ? { options: deps.amp } : {}),
  });
  return {
    amp, master, transport,
    start: () =>
      transport.open().catch((err: unknown) => {
        log.warn({ path: deps.path, err: err instanceof Error ? err.message : String(err) }, "amplifier line not available yet; retrying");
      }),
    stop: async () => {
      master.dispose();
      await transport.close();
    },
  };
}
