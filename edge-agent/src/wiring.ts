/**
 * Building a receiver from its configuration (ARCHITECTURE §9 `loa-edge --config edge.json`): the real
 * adapters for each port, chosen by EdgeConfig. main.ts uses `buildEdge` as is; the fleet simulator passes
 * its own link, amplifier (the firmware simulator over a StreamTransport) and sink.
 */
import { readFileSync } from "node:fs";
import { SystemClock, loadProfile, type Clock } from "@loa/shared";
import type { Logger } from "pino";
import { createSerialAmplifier } from "./adapters/amp/index.js";
import { AplaySink, NullSink, WavFileSink } from "./adapters/audio/index.js";
import { FfmpegDecoder } from "./adapters/audio/ffmpeg-decoder.js";
import { NodeDurableFs } from "./adapters/fs/node-fs.js";
import { MqttJsLink } from "./adapters/mqtt/mqtt-js-link.js";
import { NodeHostMetrics } from "./adapters/system/node-host-metrics.js";
import { Agent, type AgentOptions } from "./core/agent.js";
import type { EdgeConfig } from "./core/config.js";
import type { StartLine } from "./core/start-line.js";
import type { Amplifier } from "./ports/amplifier.js";
import type { AudioSink, Decoder } from "./ports/audio.js";
import type { Link } from "./ports/link.js";

/** An amplifier with the line under it: start() opens the line (never rejects), stop() closes it. */
export interface AmpHardware {
  amp: Amplifier;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The version in edge-agent/package.json (read at run time: the same from src/ and dist/). */
export function agentVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}

/** The amplifier named by `amp.transport`: a serial line, or none (null). */
export async function ampFromConfig(config: EdgeConfig, clock: Clock, log: Logger): Promise<AmpHardware | null> {
  if (config.amp.transport === "none") return null;
  const profile = await loadProfile(config.amp.profile);
  return createSerialAmplifier({ clock, log, path: config.amp.port, profile, unitId: config.amp.unitId, baud: config.amp.baud });
}

/** The audio output named by `sink.type` (ARCHITECTURE §6). */
export function sinkFromConfig(sink: EdgeConfig["sink"], clock: Clock): AudioSink {
  switch (sink.type) {
    case "alsa":
      return new AplaySink({ clock, device: sink.alsaDevice });
    case "file":
      return new WavFileSink({ clock, dir: sink.fileDir });
    case "null":
      return new NullSink({ clock });
  }
}

/** The agent options EdgeConfig sets. */
export function agentOptionsOf(config: EdgeConfig): Partial<AgentOptions> {
  return {
    defaultVolume: config.defaultVolume,
    idleOffS: config.idleOffS,
    graceS: config.graceS,
    telemetryIntervalS: config.telemetryIntervalS,
    timeSyncIntervalS: config.timeSyncIntervalS,
    cacheMaxBytes: config.cacheMaxBytes,
    outboxMaxEvents: config.outboxMaxEvents,
  };
}

export interface BuildEdgeOptions {
  log: Logger;
  /** Leave the process (reboot command: 75). */
  exit: (code: number) => void | Promise<void>;
  clock?: Clock;
  /** Replace what the config would build (fleet simulator, tests); `amp: null` means no amplifier. */
  link?: Link;
  amp?: AmpHardware | null;
  sink?: AudioSink;
  decoder?: Decoder;
  options?: Partial<AgentOptions>;
  /** One StartLine shared by the receivers of a process (fleet simulator); default: the agent's own. */
  startLine?: StartLine;
}

export interface EdgeRuntime {
  agent: Agent;
  amp: AmpHardware | null;
  /** Open the amplifier line, then start the agent. */
  start(): Promise<void>;
  /** Stop the agent (safe stop), then close the amplifier line. */
  stop(): Promise<void>;
}

export async function buildEdge(config: EdgeConfig, o: BuildEdgeOptions): Promise<EdgeRuntime> {
  const clock = o.clock ?? new SystemClock();
  const log = o.log;
  const startedAt = clock.now();
  const version = agentVersion();
  const amp = o.amp !== undefined ? o.amp : await ampFromConfig(config, clock, log.child({ ns: "edge.amp" }));
  const link =
    o.link ??
    new MqttJsLink({
      url: config.mqttUrl, deviceId: config.deviceId, token: config.token, prefix: config.prefix, agentVersion: version,
      profile: config.profile, clock, log: log.child({ ns: "edge.mqtt" }), startedAt, reconnect: config.reconnect,
    });
  const sink = o.sink ?? sinkFromConfig(config.sink, clock);
  const agent = new Agent({
    link, fs: new NodeDurableFs(), dataDir: config.dataDir, clock, log, amp: amp?.amp ?? null,
    decoder: o.decoder ?? new FfmpegDecoder({ log: log.child({ ns: "edge.decoder" }) }),
    sink, host: new NodeHostMetrics(), agentVersion: version, startedAt, exit: o.exit,
    options: { ...agentOptionsOf(config), ...o.options },
    ...(o.startLine ? { startLine: o.startLine } : {}),
  });
  return {
    agent,
    amp,
    start: async () => {
      await amp?.start();
      await agent.start();
    },
    stop: async () => {
      await agent.stop();
      await amp?.stop();
    },
  };
}
