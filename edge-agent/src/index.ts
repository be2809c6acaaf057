/**
 * @loa/edge-agent: the receiver (ARCHITECTURE §1). `loa-edge` runs main.ts; the fleet simulator builds agents
 * in-process from these exports: an Agent over its own Link (MqttJsLink to the cloud), an amplifier driven
 * over a StreamTransport (createStreamAmplifier, the firmware simulator on the other end), and a chosen sink
 * (TimingSink + SilentDecoder for a thousand receivers, WavFileSink + FfmpegDecoder to capture real audio).
 */
export { Agent, DEFAULT_AGENT_OPTIONS, type AgentDeps, type AgentEvent, type AgentOptions, type AgentStats } from "./core/agent.js";
export { agentOptionsOf, agentVersion, ampFromConfig, buildEdge, sinkFromConfig, type AmpHardware, type BuildEdgeOptions, type EdgeRuntime } from "./wiring.js";
export { ConfigError, loadConfig, parseConfig, ENV_VARS, type EdgeConfig, type LoadedConfig } from "./core/config.js";
export { REBOOT_EXIT_CODE } from "./core/commands.js";
export { NoAmplifier } from "./core/no-amplifier.js";
export { REAL_CLOCK_FINE_WAIT_MS, StartLine, type StartLineDeps } from "./core/start-line.js";
export type { PlayerEvent, PlayerOptions } from "./core/player-types.js";

export { MqttJsLink, type MqttJsLinkDeps } from "./adapters/mqtt/mqtt-js-link.js";
export { NodeDurableFs } from "./adapters/fs/node-fs.js";
export { NodeHostMetrics } from "./adapters/system/node-host-metrics.js";
export {
  FfmpegDecoder, NullSink, SilentDecoder, TimingSink, WavFileSink, AplaySink, parseWav, wavFileNameOf,
} from "./adapters/audio/index.js";
export {
  createSerialAmplifier, createStreamAmplifier, ModbusAmplifier, ModbusMaster, SerialPortTransport, StreamTransport, type AmplifierOnLine,
} from "./adapters/amp/index.js";

// The ports, whole: the fleet simulator implements some of them (a counting Link, a capturing sink).
export * from "./ports/amplifier.js";
export * from "./ports/audio.js";
export * from "./ports/fs.js";
export * from "./ports/host-metrics.js";
export * from "./ports/link.js";
export * from "./ports/serial.js";
