/**
 * The amplifier driver (ARCHITECTURE §5): serial transports, the Modbus RTU master and the profile-driven
 * Amplifier, plus the one-call builders: `createSerialAmplifier` (main.ts, through wiring.ts) and
 * `createStreamAmplifier` (the fleet simulator and tests, over an in-process Duplex).
 */
import type { Duplex } from "node:stream";
import { errorMessage, type AmpProfile, type Clock } from "@loa/shared";
import type { Logger } from "pino";
import type { ReconnectBackoff, SerialTransport } from "../../ports/serial.js";
import { ModbusAmplifier, type ModbusAmplifierOptions } from "./modbus-amplifier.js";
import { ModbusMaster, type ModbusMasterOptions } from "./modbus-master.js";
import { SerialPortTransport } from "./serialport-transport.js";
import { StreamTransport } from "./stream-transport.js";

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

/** What the master and the amplifier need besides the line. */
export interface AmplifierParts {
  clock: Clock;
  log: Logger;
  profile: AmpProfile;
  /** Default the profile's unitId. */
  unitId?: number;
  master?: Partial<ModbusMasterOptions>;
  amp?: Partial<ModbusAmplifierOptions>;
}

/** An amplifier with the line under it. */
export interface AmplifierOnLine<T extends SerialTransport> {
  amp: ModbusAmplifier;
  master: ModbusMaster;
  transport: T;
  /** Open the line; never rejects (a missing line is retried in the background and logged). */
  start(): Promise<void>;
  /** Stop retrying and close the line. Call after the last amplifier command (AmpControl.shutdown). */
  stop(): Promise<void>;
}

export interface SerialAmplifierConfig extends AmplifierParts {
  /** /dev/ttyUSB0, /dev/serial0, a PTY path. */
  path: string;
  /** Default the profile's baud rate. */
  baud?: number;
  backoff?: Partial<ReconnectBackoff>;
}

export type SerialAmplifier = AmplifierOnLine<SerialPortTransport>;

/** Build transport, master and amplifier for one serial line and profile (main.ts, via wiring.ts). */
export function createSerialAmplifier(deps: SerialAmplifierConfig): SerialAmplifier {
  const serial = { ...deps.profile.serial, ...(deps.baud === undefined ? {} : { baud: deps.baud }) };
  const { clock, log, path, backoff } = deps;
  return amplifierOn(new SerialPortTransport({ path, serial, clock, log, backoff }), deps);
}

/** An amplifier driven over any Duplex (the firmware simulator's createDuplexPair end, a socket). */
export function createStreamAmplifier(deps: AmplifierParts & { connect: () => Duplex | Promise<Duplex> }): AmplifierOnLine<StreamTransport> {
  const { clock, log, connect } = deps;
  return amplifierOn(new StreamTransport({ clock, log, connect, name: "stream-amp", backoff: { initialMs: 200, maxMs: 2_000 } }), deps);
}

function amplifierOn<T extends SerialTransport>(transport: T, deps: AmplifierParts): AmplifierOnLine<T> {
  const { clock, log } = deps;
  const master = new ModbusMaster({ transport, clock, log, options: deps.master });
  const amp = new ModbusAmplifier({ client: master, profile: deps.profile, clock, log, transport, unitId: deps.unitId, options: deps.amp });
  return {
    amp, master, transport,
    start: () =>
      transport.open().catch((err: unknown) => {
        log.warn({ line: transport.name, err: errorMessage(err) }, "amplifier line not open yet; retrying");
      }),
    stop: async () => {
      master.dispose();
      await transport.close();
    },
  };
}
