/**
 * Health telemetry (ARCHITECTURE §3 telemetry, QoS 0, every `telemetryIntervalS`): host metrics, media
 * cache, amplifier, clock offset, what plays, outbox depth. Every source is a getter injected by the main
 * wiring, so this module knows nothing of the player or the amplifier driver; a source that throws only
 * loses its own field. A sample is validated against the shared schema before it is published.
 */
import { errorMessage, validatePayload, type AmpHealth, type Clock, type NowPlaying, type TelemetryPayload, type TimerHandle } from "@loa/shared";
import type { Logger } from "pino";
import type { AmpStatus } from "../ports/amplifier.js";
import type { HostMetrics, HostSample } from "../ports/host-metrics.js";
import type { Link } from "../ports/link.js";

export interface TelemetrySources {
  /** Bytes in the media cache. */
  cacheBytes(): number;
  /** Last status read by the amplifier monitor; null before the first poll (reported as not reachable). */
  amp(): AmpStatus | null;
  /** The volume the receiver means to play at; used when the amplifier has no volume register. */
  volume?(): number | undefined;
  /** What plays now, or null. */
  playing(): NowPlaying | null;
  /** Outbox events not yet acknowledged. */
  outboxDepth(): number;
  /** From TimeSync.offsetMs; undefined before the first sync. */
  clockOffsetMs(): number | undefined;
}

export interface TelemetryDeps {
  link: Pick<Link, "publish" | "online">;
  /** Device clock (telemetry `ts` is device time). */
  clock: Clock;
  log: Logger;
  host: HostMetrics;
  /** Where the media cache lives: disk free is measured there. */
  dataDir: string;
  agentVersion: string;
  /** Epoch ms the agent started (uptime). */
  startedAt: number;
  intervalS: number;
  sources: TelemetrySources;
}

const FAULT_CODE = /^[a-z0-9_]{1,64}$/;
const MAX_FAULTS = 32;

/** Schema-shaped amplifier health from the driver's status; out-of-range readings are left out, not sent. */
export function ampHealthOf(status: AmpStatus | null, fallbackVolume?: number): AmpHealth {
  if (!status) return { reachable: false, faults: [] };
  const faults = [...new Set(status.faults)].filter((f) => FAULT_CODE.test(f)).slice(0, MAX_FAULTS);
  // Readings of an amplifier that does not answer are stale: the schema wants them absent (docs/protocol.md).
  if (!status.reachable) return { reachable: false, faults };
  const inRange = (v: number | null | undefined, lo: number, hi: number): number | undefined =>
    v !== null && v !== undefined && Number.isFinite(v) && v >= lo && v <= hi ? v : undefined;
  const volume = inRange(status.volume ?? fallbackVolume, 0, 100);
  const h: AmpHealth = {
    reachable: true,
    powered: status.powered,
    faults,
  };
  if (status.muted !== null) h.muted = status.muted;
  if (volume !== undefined) h.volume = Math.round(volume);
  if (status.signalPresent !== null) h.signal = status.signalPresent;
  const t = inRange(status.temperatureC, -100, 300);
  if (t !== undefined) h.temperatureC = t;
  const v = inRange(status.supplyVoltageV, 0, 1000);
  if (v !== undefined) h.supplyV = v;
  const ma = inRange(status.outputCurrentMa, 0, 1_000_000);
  if (ma !== undefined) h.outputMa = ma;
  if (status.firmwareVersion) h.firmware = status.firmwareVersion.slice(0, 32);
  return h;
}

export class Telemetry {
  private timer: TimerHandle | undefined;
  private busy = false;
  /** Samples published since start. */
  published = 0;

  constructor(private readonly deps: TelemetryDeps) {}

  start(): void {
    if (this.timer) return;
    this.timer = this.deps.clock.setInterval(() => {
      this.publishNow().catch(() => undefined);
    }, this.deps.intervalS * 1000);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Build and publish one sample; false when offline (QoS 0: a stale sample is worthless), busy or invalid. */
  async publishNow(): Promise<boolean> {
    if (this.busy || !this.deps.link.online) return false;
    this.busy = true;
    try {
      await this.deps.link.publish("telemetry", await this.build());
      this.published++;
      return true;
    } catch (err) {
      this.deps.log.warn({ err: errorMessage(err) }, "telemetry not published");
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** One sample, validated against the shared TelemetryPayload schema (throws its ProtocolError if not). */
  async build(): Promise<TelemetryPayload> {
    const { clock, sources } = this.deps;
    const host = await this.host();
    const offset = this.get("clockOffsetMs", () => sources.clockOffsetMs(), undefined);
    const sample: TelemetryPayload = {
      ts: Math.round(clock.now()),
      agentVersion: this.deps.agentVersion,
      uptimeS: Math.max(0, Math.floor((clock.now() - this.deps.startedAt) / 1000)),
      ...(host.cpuTempC !== undefined ? { cpuTempC: host.cpuTempC } : {}),
      load1: Math.min(host.load1, 10_000),
      memFreeMb: host.memFreeMb,
      memTotalMb: host.memTotalMb,
      diskFreeMb: host.diskFreeMb,
      cacheBytes: nonNegInt(this.get("cacheBytes", () => sources.cacheBytes(), 0)),
      amp: ampHealthOf(this.get("amp", () => sources.amp(), null), this.get("volume", () => sources.volume?.(), undefined)),
      ...(offset !== undefined && Number.isFinite(offset) ? { clockOffsetMs: offset } : {}),
      playing: this.get("playing", () => sources.playing(), null),
      outboxDepth: nonNegInt(this.get("outboxDepth", () => sources.outboxDepth(), 0)),
    };
    const checked = validatePayload("telemetry", sample);
    if (!checked.ok) throw checked.error;
    return checked.value;
  }

  private async host(): Promise<HostSample> {
    try {
      return await this.deps.host.sample(this.deps.dataDir);
    } catch (err) {
      this.deps.log.warn({ err: errorMessage(err) }, "host metrics unavailable");
      return { load1: 0, memFreeMb: 0, memTotalMb: 0, diskFreeMb: 0 };
    }
  }

  private get<T>(name: string, fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (err) {
      this.deps.log.warn({ source: name, err: errorMessage(err) }, `telemetry source ${name} failed`);
      return fallback;
    }
  }
}

function nonNegInt(n: number): number {
  return Number.isFinite(n) ? Math.max(0, Math.round(n)) : 0;
}
