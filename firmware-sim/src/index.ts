// @loa/firmware-sim: the amplifier firmware simulator (ARCHITECTURE §5) and the receiver fleet (docs/simulator.md).
export { AmpEngine, type AmpEngineDeps, type AmpSimState, type SlaveOutput } from "./core/amp-engine.js";
export {
  AMP_FAULT_NAMES,
  LINE_FAULT_NAMES,
  SIM_FAULT_NAMES,
  DEFAULT_SLOW_RESPONSE_MS,
  isSimFaultName,
  isAmpFaultName,
  type AmpFaultName,
  type LineFaultName,
  type SimFaultName,
  type NoiseMode,
  type NoiseSettings,
} from "./core/faults.js";
export { DEFAULT_PHYSICS, type AmpPhysics } from "./core/physics.js";
export type { TraceEntry, TraceListener, TraceNote } from "./core/trace.js";
export { ModbusSlave, type ModbusSlaveDeps, type ModbusSlaveStats } from "./adapters/modbus-slave.js";
export { openSerialLine, closeSerialLine, SerialLineError, type SerialLineOptions } from "./adapters/serial-line.js";
export { createDuplexPair, type DuplexPairOptions } from "./transport/duplex-pair.js";

export { startFleet, DEFAULT_STATE_FILE, FLEET_AGENT_DEFAULTS, fleetAgentOptions } from "./fleet/run-fleet.js";
export type { FleetOptions, RunningFleet } from "./fleet/run-fleet.js";
