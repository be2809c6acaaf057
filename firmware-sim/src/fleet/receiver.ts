/**
 * One simulated receiver (ARCHITECTURE §1 firmware-sim: "real edge-agent code + emulated amplifier +
 * capturing audio sink"): the real Agent (MqttJsLink, outbox, plan store, media cache, player, amplifier
 * monitor, telemetry, time sync) built by edge-agent's own `buildEdge`, with
 * - an emulated amplifier: AmpEngine + ModbusSlave on one end of an in-memory cable, the real
 *   ModbusAmplifier driver over a StreamTransport on the other (Modbus RTU bytes really travel);
 * - a sink: a WAV per play with real ffmpeg decoding (`captureDir`), or the TimingSink + SilentDecoder,
 *   which record the exact start and pace for the plan's duration without spawning anything;
 * - its own clock (SkewedClock), so clock skew can be injected.
 * The amplifier outlives agent restarts (it is hardware); the agent is rebuilt on every start, as a reboot.
 */
import {
  FfmpegDecoder,
  MqttJsLink,
  SilentDecoder,
  TimingSink,
  WavFileSink,
  agentVersion,
  buildEdge,
  createStreamAmplifier,
  parseConfig,
  type AgentOptions,
  type AudioSink,
  type Decoder,
  type EdgeRuntime,
  type StartLine,
} from "@loa/edge-agent";
import { SystemClock, type AmpProfile } from "@loa/shared";
import type { Logger } from "pino";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { ModbusSlave } from "../adapters/modbus-slave.js";
import { AmpEngine, type AmpSimState } from "../core/amp-engine.js";
import type { SimFaultName } from "../core/faults.js";
import { createDuplexPair } from "../transport/duplex-pair.js";
import { CountingLink } from "./counting-link.js";
import { PlayLogSink, type PlayLog } from "./play-log.js";
import { SkewedClock } from "./skewed-clock.js";
import type { FleetReceiverRecord } from "./state-file.js";

export type ReceiverStatus = "stopped" | "starting" | "running" | "stopping";

/** What the fleet needs of a receiver (the control interface's tests use fakes of it). */
export interface FleetReceiver {
  readonly deviceId: string;
  readonly name: string;
  readonly areaId: string;
  readonly status: ReceiverStatus;
  readonly online: boolean;
  readonly playing: boolean;
  readonly eventsSent: number;
  readonly skewMs: number;
  /** What the agent's time sync measured (cloud minus device clock), null before its first sync. */
  readonly clockOffsetMs: number | null;
  faults(): SimFaultName[];
  amp(): AmpSimState;
  start(): Promise<void>;
  /** Safe stop of the agent (the amplifier stays as it is). */
  stop(): Promise<void>;
  /** After a power cut: the amplifier lost power too. */
  powerLost(): void;
  setSkew(ms: number): void;
  setFault(name: SimFaultName, on: boolean): void;
  clearFaults(): void;
  /** A rotated token: used from the next start. */
  update(record: FleetReceiverRecord): void;
}

export interface SimReceiverDeps {
  record: FleetReceiverRecord;
  /** Where the receiver connects (the fleet's network switch). */
  mqttUrl: string;
  /** This receiver's own data directory (plan, outbox, media). */
  dataDir: string;
  /** WAV captures of this receiver, with real decoding; absent: timing sink, no decoding. */
  captureDir?: string;
  profile: AmpProfile;
  playLog: PlayLog;
  log: Logger;
  agentOptions?: Partial<AgentOptions>;
  reconnect?: { minMs: number; maxMs: number; stableMs: number };
  /** One StartLine for every receiver of the process, so plays due together start in one loop (start-line.ts). */
  startLine?: StartLine;
  /** The agent asked to leave the process (cmd reboot): the fleet restarts this receiver instead. */
  onExit: (receiver: SimReceiver, code: number) => void;
}

export class SimReceiver implements FleetReceiver {
  readonly engine: AmpEngine;
  readonly clock: SkewedClock;
  private record: FleetReceiverRecord;
  private runtime: EdgeRuntime | undefined;
  private link: CountingLink | undefined;
  private sink: PlayLogSink | undefined;
  private slave: ModbusSlave | undefined;
  private state: ReceiverStatus = "stopped";
  private sentBefore = 0;
  private readonly ampClock = new SystemClock();

  constructor(private readonly deps: SimReceiverDeps) {
    this.record = deps.record;
    this.clock = new SkewedClock();
    this.engine = new AmpEngine({ profile: deps.profile, clock: this.ampClock, traceLimit: 50 });
  }

  get deviceId(): string {
    return this.record.deviceId;
  }
  get name(): string {
    return this.record.name;
  }
  get areaId(): string {
    return this.record.areaId;
  }
  get status(): ReceiverStatus {
    return this.state;
  }
  get online(): boolean {
    return this.state === "running" && (this.link?.online ?? false);
  }
  get playing(): boolean {
    return this.sink?.busy ?? false;
  }
  get eventsSent(): number {
    return this.sentBefore + (this.link?.eventsSent ?? 0);
  }
  get skewMs(): number {
    return this.clock.skewMs;
  }
  get clockOffsetMs(): number | null {
    return this.runtime?.agent.parts.timeSync.offsetMs ?? null;
  }

  faults(): SimFaultName[] {
    return this.engine.activeFaults();
  }

  amp(): AmpSimState {
    return this.engine.state();
  }

  setSkew(ms: number): void {
    this.clock.setSkew(ms);
  }

  setFault(name: SimFaultName, on: boolean): void {
    this.engine.setFault(name, on);
  }

  clearFaults(): void {
    this.engine.clearFaults();
  }

  update(record: FleetReceiverRecord): void {
    this.record = record;
  }

  powerLost(): void {
    this.engine.setRegister("power", 0);
    this.engine.setSignal(false);
  }

  async start(): Promise<void> {
    if (this.state !== "stopped") return;
    this.state = "starting";
    try {
      const runtime = await this.build();
      this.runtime = runtime;
      await runtime.start();
      this.state = "running";
    } catch (err) {
      this.state = "stopped";
      this.teardown();
      throw err;
    }
  }

  async stop(): Promise<void> {
    if (this.state !== "running") return;
    this.state = "stopping";
    try {
      await this.runtime?.stop();
    } finally {
      this.teardown();
      this.state = "stopped";
    }
  }

  private teardown(): void {
    this.sentBefore += this.link?.eventsSent ?? 0;
    this.link = undefined;
    this.runtime = undefined;
    this.slave?.close();
    this.slave = undefined;
  }

  private async build(): Promise<EdgeRuntime> {
    const record = this.record;
    const log = this.deps.log;
    const cfg = record.edgeConfig;
    const { config } = parseConfig(
      { ...cfg, token: record.token, mqttUrl: this.deps.mqttUrl, dataDir: this.deps.dataDir, amp: { transport: "none" }, sink: "null" },
      {},
      { source: `fleet receiver ${record.deviceId}` },
    );
    const link = new CountingLink(
      new MqttJsLink({
        url: this.deps.mqttUrl, deviceId: record.deviceId, token: record.token, prefix: cfg.prefix, agentVersion: agentVersion(),
        profile: this.deps.profile.id, clock: this.clock, log: log.child({ ns: "edge.mqtt" }),
        ...(this.deps.reconnect ? { reconnect: this.deps.reconnect } : {}),
      }),
    );
    this.link = link;
    const hw = createStreamAmplifier({ clock: this.clock, log: log.child({ ns: "edge.amp" }), profile: this.deps.profile, connect: () => this.plugAmp() });
    const { sink, decoder } = this.audio();
    return buildEdge(config, {
      log, clock: this.clock, link, amp: hw, sink, decoder,
      exit: (code) => this.deps.onExit(this, code),
      ...(this.deps.agentOptions ? { options: this.deps.agentOptions } : {}),
      ...(this.deps.startLine ? { startLine: this.deps.startLine } : {}),
    });
  }

  /** A fresh cable to the emulated amplifier for every (re)open of the driver's line. */
  private plugAmp(): Duplex {
    this.slave?.close();
    const [driverEnd, ampEnd] = createDuplexPair({ deliverLater: "turn" });
    this.slave = new ModbusSlave({ engine: this.engine, stream: ampEnd, clock: this.ampClock });
    return driverEnd;
  }

  private audio(): { sink: AudioSink; decoder: Decoder } {
    const captureDir = this.deps.captureDir;
    const inner = captureDir ? new WavFileSink({ clock: this.clock, dir: captureDir }) : new TimingSink({ clock: this.clock, keepRecords: 10 });
    const sink = new PlayLogSink({
      inner,
      deviceId: this.record.deviceId,
      log: this.deps.playLog,
      skewMs: () => this.clock.skewMs,
      signal: (on) => this.engine.setSignal(on),
      ...(inner instanceof WavFileSink ? { captureOf: (playId: string) => inner.fileOf(playId) } : {}),
    });
    this.sink = sink;
    const decoder: Decoder = captureDir ? new FfmpegDecoder({ log: this.deps.log.child({ ns: "edge.decoder" }) }) : new SilentDecoder();
    return { sink, decoder };
  }
}

/** Per-receiver directories under the fleet's: `<dataDir>/<deviceId>` and `<capture>/<deviceId>`. */
export function receiverDirs(fleetDataDir: string, capture: string | undefined, deviceId: string): { dataDir: string; captureDir?: string } {
  return { dataDir: join(fleetDataDir, deviceId), ...(capture ? { captureDir: join(capture, deviceId) } : {}) };
}
