/**
 * Builds the receiver's core parts from the Agent's deps (ARCHITECTURE §3, §5, §6) and the small glue
 * between them: which plays are handled (PlanStore states plus plays begun in this run), what plays now for
 * telemetry, and the bounded safety mute.
 */
import { errorMessage, type Clock, type NowPlaying, type TimerHandle } from "@loa/shared";
import type { Logger } from "pino";
import { join } from "node:path";
import type { Amplifier } from "../ports/amplifier.js";
import type { AudioSink, Decoder } from "../ports/audio.js";
import type { DurableFs } from "../ports/fs.js";
import type { HostMetrics } from "../ports/host-metrics.js";
import type { Link } from "../ports/link.js";
import { AmpMonitor } from "./amp-monitor.js";
import { EventSender } from "./event-sender.js";
import { MediaCache } from "./media-cache.js";
import { MediaFetcher } from "./media-fetcher.js";
import { NoAmplifier } from "./no-amplifier.js";
import { Outbox } from "./outbox.js";
import { PlanStore } from "./plan-store.js";
import { Player } from "./player.js";
import type { StartLine } from "./start-line.js";
import type { HandledPlays, PlayerEvent, PlayerOptions } from "./player-types.js";
import { Reporter } from "./reporter.js";
import { Telemetry } from "./telemetry.js";
import { TimeSync } from "./time-sync.js";

export interface AgentOptions {
  /** Volume of plays that carry none (0-100). */
  defaultVolume: number;
  /** Amplifier off after this long without a play. */
  idleOffS: number;
  /** How late a normal or priority play may still start when its media arrives late (emergency: no limit). */
  graceS: number;
  telemetryIntervalS: number;
  timeSyncIntervalS: number;
  cacheMaxBytes: number;
  outboxMaxEvents: number;
  /** Amplifier status poll period, and failed polls before amp_fault{unreachable}. */
  ampPollMs: number;
  ampUnreachableAfter: number;
  /** The safety mute at start and on reconnect gives up after this long (a dead amplifier must not block). */
  ampMuteTimeoutMs: number;
  /** Media: ask again for missing chunks after this long without progress, doubling up to the max. */
  mediaRetryMs: number;
  mediaRetryMaxMs: number;
  /** Resend an events batch not acked within this. */
  ackTimeoutMs: number;
  /** Further player settings (see PlayerOptions). */
  player: Partial<PlayerOptions>;
}

export const DEFAULT_AGENT_OPTIONS: AgentOptions = {
  defaultVolume: 70,
  idleOffS: 60,
  graceS: 60,
  telemetryIntervalS: 30,
  timeSyncIntervalS: 600,
  cacheMaxBytes: 512 * 1024 * 1024,
  outboxMaxEvents: 10_000,
  ampPollMs: 5_000,
  ampUnreachableAfter: 3,
  ampMuteTimeoutMs: 3_000,
  mediaRetryMs: 15_000,
  mediaRetryMaxMs: 300_000,
  ackTimeoutMs: 30_000,
  player: {},
};

export interface PartsDeps {
  link: Link;
  fs: DurableFs;
  /** Holds plan/, outbox/ and media/. */
  dataDir: string;
  /** The device clock (the cloud's time comes from TimeSync). */
  clock: Clock;
  log: Logger;
  /** null: no amplifier to drive (`amp.transport: "none"`), the line-out feeds one switched by hand. */
  amp: Amplifier | null;
  decoder: Decoder;
  sink: AudioSink;
  host: HostMetrics;
  agentVersion: string;
  /** Epoch ms the process started (telemetry uptime); default clock.now() at construction. */
  startedAt?: number;
  options?: Partial<AgentOptions>;
  /** Where plays start at their second; the fleet simulator shares one among its receivers (start-line.ts). */
  startLine?: StartLine;
}

export interface PartsHooks {
  onPlayerEvent: (e: PlayerEvent) => void;
  onMediaReady: (sha256: string) => void;
  onSync: () => void;
}

export class AgentParts {
  readonly options: AgentOptions;
  readonly outbox: Outbox;
  readonly plans: PlanStore;
  readonly cache: MediaCache;
  readonly fetcher: MediaFetcher;
  readonly player: Player;
  /** Absent without an amplifier to drive. */
  readonly monitor: AmpMonitor | undefined;
  readonly reporter: Reporter;
  readonly sender: EventSender;
  readonly timeSync: TimeSync;
  readonly telemetry: Telemetry;
  /** Resolves at the first successful time sync. */
  readonly clockReady: Promise<void>;
  private readonly begun = new Set<string>();
  private readonly log: Logger;

  constructor(
    private readonly deps: PartsDeps,
    hooks: PartsHooks,
  ) {
    const o = (this.options = { ...DEFAULT_AGENT_OPTIONS, ...deps.options });
    const { fs, clock, link, dataDir } = deps;
    const log = (ns: string): Logger => deps.log.child({ ns: `edge.${ns}` });
    this.log = log("agent");
    this.outbox = new Outbox({ fs, clock, dir: join(dataDir, "outbox"), log: log("outbox"), maxEvents: o.outboxMaxEvents });
    this.plans = new PlanStore({ fs, clock, dir: join(dataDir, "plan"), log: log("plan") });
    this.cache = new MediaCache({ fs, clock, dir: join(dataDir, "media"), log: log("media"), maxBytes: o.cacheMaxBytes });
    let synced: () => void = () => undefined;
    this.clockReady = new Promise((resolve) => (synced = resolve));
    this.timeSync = new TimeSync({
      link, clock, log: log("time"), intervalMs: o.timeSyncIntervalS * 1000,
      onSync: () => {
        synced();
        hooks.onSync();
      },
    });
    this.fetcher = new MediaFetcher({
      cache: this.cache, link, clock, log: log("media"), onReady: hooks.onMediaReady, retryMs: o.mediaRetryMs, retryMaxMs: o.mediaRetryMaxMs,
    });
    this.player = this.buildPlayer(hooks.onPlayerEvent, log("player"));
    this.reporter = new Reporter({ plans: this.plans, outbox: this.outbox, log: log("report") });
    this.monitor = deps.amp
      ? new AmpMonitor({
          amp: deps.amp, clock, log: log("amp"), emit: (e) => this.reporter.report(e),
          options: { intervalMs: o.ampPollMs, unreachableAfter: o.ampUnreachableAfter },
        })
      : undefined;
    this.sender = new EventSender({ outbox: this.outbox, link, clock, log: log("events"), ackTimeoutMs: o.ackTimeoutMs, followOnline: false });
    this.telemetry = this.buildTelemetry(log("telemetry"));
  }

  /** Mute, bounded: used before anything else at start and on a link reconnect (§5 safety). */
  async muteAmp(why: string): Promise<void> {
    const amp = this.deps.amp;
    if (!amp) return;
    let timer: TimerHandle | undefined;
    const timeout = new Promise<"timeout">((resolve) => (timer = this.deps.clock.setTimeout(() => resolve("timeout"), this.options.ampMuteTimeoutMs)));
    try {
      const r = await Promise.race([amp.mute().then(() => "muted" as const), timeout]);
      this.log.info({ why, result: r }, r === "muted" ? "amplifier muted" : "amplifier mute not confirmed in time");
    } catch (err) {
      this.log.warn({ why, err: errorMessage(err) }, "amplifier mute failed (unreachable?)");
    } finally {
      timer?.cancel();
    }
  }

  private buildPlayer(emit: (e: PlayerEvent) => void, log: Logger): Player {
    const o = this.options;
    const grace = o.graceS * 1000;
    const handled: HandledPlays = {
      // A play with any durable state, or begun in this run (its state is being written), is never played again.
      isHandled: (id) => this.begun.has(id) || !this.plans.mayStart(id),
      markHandled: (id) => void this.begun.add(id),
    };
    return new Player({
      clock: this.deps.clock,
      clockOffsetMs: () => this.timeSync.offsetMs ?? 0,
      amp: this.deps.amp ?? new NoAmplifier(),
      media: { pathOf: (sha) => this.cache.pathOf(sha) ?? undefined },
      decoder: this.deps.decoder,
      sink: this.deps.sink,
      emit,
      handled,
      log,
      ...(this.deps.startLine ? { startLine: this.deps.startLine } : {}),
      options: {
        defaultVolume: o.defaultVolume,
        idleOffS: o.idleOffS,
        mediaGraceMs: { normal: grace, priority: grace, emergency: Number.POSITIVE_INFINITY },
        ...o.player,
      },
    });
  }

  private buildTelemetry(log: Logger): Telemetry {
    const { link, clock, host, dataDir, agentVersion } = this.deps;
    return new Telemetry({
      link, clock, log, host, dataDir, agentVersion,
      startedAt: this.deps.startedAt ?? clock.now(),
      intervalS: this.options.telemetryIntervalS,
      sources: {
        cacheBytes: () => this.cache.totalBytes(),
        amp: () => this.monitor?.status ?? null,
        playing: () => this.nowPlaying(),
        outboxDepth: () => this.outbox.depth(),
        clockOffsetMs: () => this.timeSync.offsetMs,
      },
    });
  }

  private nowPlaying(): NowPlaying | null {
    const cur = this.player.current();
    if (!cur) return null;
    const item = cur.kind === "play" ? this.plans.current()?.items.find((i) => i.playId === cur.playId) : undefined;
    const positionMs = Math.max(0, Math.round(this.timeSync.now() - Date.parse(cur.since)));
    return {
      ...(cur.kind === "play" ? { playId: cur.playId } : {}),
      ...(item ? { sha256: item.media.sha256, durationMs: item.media.durationMs } : {}),
      startedAt: cur.since,
      ...(Number.isFinite(positionMs) ? { positionMs } : {}),
    };
  }
}
