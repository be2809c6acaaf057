/**
 * Scheduling and delivery, cloud side (ARCHITECTURE §2, §3, §7), built by one factory that main.ts calls:
 * plans per device (PlanService), events in and acks out (EventIngest), media multicast
 * (MediaDistributor), the proof of play (PlayBook), the periodic jobs, and the REST routes for broadcasts,
 * plays and the CSV report. See README.md in this folder for the decisions.
 */
import { DEFAULT_CHUNK_SIZE, DEFAULT_TZ, errorMessage, playIdOf, type Broadcast, type Clock, type MediaRef, type TimerHandle } from "@loa/shared";
import type { Logger } from "pino";
import type { CloudMqttClient } from "../adapters/mqtt/cloud-mqtt-client.js";
import type { PresenceChange } from "../core/presence.js";
import type { RouteModule } from "../http/app.js";
import { broadcastRoutes } from "../http/routes/broadcasts.js";
import { playRoutes } from "../http/routes/plays.js";
import { reportRoutes } from "../http/routes/reports.js";
import type { Catalog, CatalogData, Journal } from "../ports/store.js";
import { DEFAULT_PLAN_HORIZON_H } from "../scheduling/index.js";
import type { DeliveryApi } from "./api.js";
import type { DeliveryBus } from "./bus.js";
import { EventIngest, type EventIngestStats } from "./event-ingest.js";
import { DEFAULT_JOB_SCHEDULE, deliveryJobs, scheduleJobs, type DeliveryJobs, type JobSchedule } from "./jobs.js";
import { MediaDistributor, type MediaStats } from "./media-distributor.js";
import { fileMediaSource, type MediaSource } from "./media-source.js";
import { MqttDeliveryBus } from "./mqtt-bus.js";
import { PlanService, type PlanStats, type ReplanResult } from "./plan-service.js";
import { PlayBook, type PlayChangeListener, type PlayLookup } from "./play-book.js";
import { sendPlayNow, type PlayNowResult } from "./play-now.js";
import { knownDevices } from "../core/known-devices.js";

/** Presence as delivery needs it (cloud/src/core/presence.ts satisfies it). */
export interface DevicePresence {
  onChange(listener: (change: Pick<PresenceChange, "deviceId" | "reason">) => void): () => void;
  /** `bootSeenAt`: cloud time the current boot's birth first arrived live (null: only seen retained). */
  health(deviceId: string): { online: boolean; bootSeenAt?: number | null } | undefined;
}

export interface DeliveryConfig {
  /** Server zone (LOA_TZ): cron default, report times where an area sets none. */
  tz?: string;
  /** MQTT prefix; the client already applies it (kept for logs). */
  prefix?: string;
  /** Plan horizon in hours (ARCHITECTURE §3 planHorizonH); default 48. */
  horizonH?: number;
  /** Media chunk size written into plans and used to serve them; default 64 KiB. */
  chunkSize?: number;
  /** Media requests for one file within this window are merged; default 250 ms. */
  mediaWindowMs?: number;
  /** Media bandwidth cap; default 2 MiB/s; 0 = unlimited. */
  maxMediaBytesPerSec?: number;
  /** A play nobody reported on is swept this long after its end; default 5 min. */
  sweepGraceMs?: number;
  /** A started play with no end is failed this long after its planned end; default 30 min. */
  startedGraceMs?: number;
  /** Plays older than this leave memory (not the journal); default 62 days. */
  retentionDays?: number;
  /** play_now expiry; default 5 min. */
  playNowTtlMs?: number;
  /** The catalogue is checked this often for changes that touch plans (devices moved…); default 2 s; 0 = never. */
  watchMs?: number;
  /** node-cron expressions of the jobs, or false to not schedule them (tests call `jobs`). */
  schedule?: Partial<JobSchedule> | false;
}

export interface DeliveryDeps {
  catalog: Catalog;
  journal: Journal;
  /** The cloud's MQTT client; or give `bus` directly (tests). */
  mqtt?: Pick<CloudMqttClient, "on" | "publish" | "publishMedia">;
  bus?: DeliveryBus;
  presence: DevicePresence;
  clock: Clock;
  log: Logger;
  /** Absolute path of a stored media file by sha256 (cloud/src/http/routes/bulletin-media.ts mediaPathOf). */
  mediaPathOf: (sha256: string) => Promise<string | undefined>;
  /** Overrides reading media files (tests). */
  mediaSource?: MediaSource;
  config?: DeliveryConfig;
}

export interface DeliveryStats extends PlanStats {
  plays: Record<string, number>;
  events: EventIngestStats;
  media: MediaStats;
  playNowSent: number;
  playNowFailed: number;
}

export interface Delivery {
  /** Broadcast, play and report routes for createHttpApp. */
  routes: RouteModule[];
  /** Replays the journal, loads plan versions, subscribes, publishes what changed, starts the jobs. */
  start(): Promise<void>;
  close(): Promise<void>;
  /** Play status changes (for the SSE stream); returns the unsubscribe function. */
  onChange(listener: PlayChangeListener): () => void;
  /**
   * Rebuild every plan and publish the changed ones (call after a catalogue change touching plans: device
   * added, moved or deleted, area quiet hours changed). Resolves once they are published; never rejects
   * (a failure is logged and the next roll retries).
   */
  replan(reason: string): Promise<void>;
  /** Let devices fetch `sha256` until `untilMs` though no plan uses it (a REST play_now command). */
  allowMedia(ref: MediaRef, untilMs: number): void;
  stats(): DeliveryStats;
  /** The periodic jobs, callable directly (tests use a FakeClock instead of waiting for cron). */
  jobs: DeliveryJobs;
  api: DeliveryApi;
}

export function createDelivery(deps: DeliveryDeps): Delivery {
  return new DeliveryService(deps);
}

interface Parts {
  bus: DeliveryBus;
  book: PlayBook;
  plans: PlanService;
  ingest: EventIngest;
  media: MediaDistributor;
}

/** Media a command asked a device to play though no plan uses it, allowed until a time. */
class AllowedMedia {
  private readonly refs = new Map<string, { ref: MediaRef; untilMs: number }>();

  constructor(private readonly clock: Clock) {}

  allow(ref: MediaRef, untilMs: number): void {
    this.refs.set(ref.sha256, { ref, untilMs });
  }

  get(sha256: string): MediaRef | undefined {
    const e = this.refs.get(sha256);
    if (!e) return undefined;
    if (e.untilMs >= this.clock.now()) return e.ref;
    this.refs.delete(sha256);
    return undefined;
  }
}

function buildParts(deps: DeliveryDeps, cfg: DeliveryConfig, log: Logger, allowed: AllowedMedia): Parts {
  const bus = deps.bus ?? (deps.mqtt ? new MqttDeliveryBus(deps.mqtt) : undefined);
  if (!bus) throw new Error("createDelivery: give mqtt or bus");
  const { catalog, journal, clock } = deps;
  const book = new PlayBook({ journal, clock, log, retentionMs: (cfg.retentionDays ?? 62) * 86_400_000 });
  const plans = new PlanService({ catalog, bus, book, clock, log, horizonH: cfg.horizonH ?? DEFAULT_PLAN_HORIZON_H, chunkSize: cfg.chunkSize ?? DEFAULT_CHUNK_SIZE });
  const ingest = new EventIngest({ journal, bus, book, clock, log, known: knownDevices(catalog), lookup: lookupOf(catalog) });
  const media = new MediaDistributor({
    bus, clock, log,
    referenced: (sha) => plans.referenced(sha) ?? allowed.get(sha),
    source: deps.mediaSource ?? fileMediaSource(deps.mediaPathOf),
    ...(cfg.mediaWindowMs !== undefined ? { windowMs: cfg.mediaWindowMs } : {}),
    ...(cfg.maxMediaBytesPerSec !== undefined ? { maxBytesPerSec: cfg.maxMediaBytesPerSec } : {}),
  });
  return { bus, book, plans, ingest, media };
}

class DeliveryService implements Delivery {
  readonly routes: RouteModule[];
  readonly jobs: DeliveryJobs;
  readonly api: DeliveryApi;
  private readonly cfg: DeliveryConfig;
  private readonly log: Logger;
  private readonly allowed: AllowedMedia;
  private readonly p: Parts;
  private readonly playNowCounts = { sent: 0, failed: 0 };
  private readonly offs: (() => void)[] = [];
  private stopJobs: (() => Promise<void>) | undefined;
  private watch: TimerHandle | undefined;
  private started = false;

  constructor(private readonly deps: DeliveryDeps) {
    this.cfg = deps.config ?? {};
    this.log = deps.log.child({ ns: "cloud.delivery" });
    this.allowed = new AllowedMedia(deps.clock);
    this.p = buildParts(deps, this.cfg, this.log, this.allowed);
    const replan = (reason: string): Promise<ReplanResult> => this.p.plans.replan(reason);
    const graceMs = this.cfg.sweepGraceMs ?? 5 * 60_000;
    this.jobs = deliveryJobs({
      catalog: deps.catalog, book: this.p.book, clock: deps.clock, log: this.log, replan, doneGraceMs: graceMs,
      sweep: { upSince: (id, atMs) => this.upSince(id, atMs), graceMs, startedGraceMs: this.cfg.startedGraceMs ?? 30 * 60_000 },
    });
    this.api = { book: this.p.book, replan, tz: this.cfg.tz ?? DEFAULT_TZ, plannedCount: (id) => this.p.plans.plannedCount(id), playNow: (b) => this.playNow(b) };
    this.routes = [broadcastRoutes(this.api), playRoutes(this.api), reportRoutes(this.api)];
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const entries = await this.replayJournal();
    this.p.plans.load();
    this.subscribe();
    const force = this.deps.catalog.data().devices.filter((d) => this.online(d.id)).map((d) => d.id);
    await this.p.plans.replan("start", { reconcile: true, force });
    this.log.info({ journalEntries: entries, plays: this.p.book.index.size, online: force.length }, "delivery started");
    const { schedule } = this.cfg;
    if (schedule !== false) this.stopJobs = scheduleJobs(this.jobs, { ...DEFAULT_JOB_SCHEDULE, ...(schedule ?? {}) }, this.log);
    const watchMs = this.cfg.watchMs ?? 2000;
    if (watchMs > 0) this.watch = watchCatalog(this.deps.catalog, this.deps.clock, watchMs, () => void this.replan("catalogue changed"));
  }

  async close(): Promise<void> {
    this.watch?.cancel();
    for (const off of this.offs.splice(0)) off();
    await this.stopJobs?.();
    await this.p.media.close();
    await this.p.ingest.idle();
    await this.p.plans.idle();
  }

  onChange(listener: PlayChangeListener): () => void {
    return this.p.book.onChange(listener);
  }

  async replan(reason: string): Promise<void> {
    try {
      await this.p.plans.replan(reason);
    } catch (err) {
      this.log.error({ reason, err: errorMessage(err) }, "replan failed; the next roll retries");
    }
  }

  allowMedia(ref: MediaRef, untilMs: number): void {
    this.allowed.allow(ref, untilMs);
  }

  stats(): DeliveryStats {
    const { plans, book, ingest, media } = this.p;
    return { ...plans.stats(), plays: playCounts(book), events: ingest.stats(), media: media.stats(), playNowSent: this.playNowCounts.sent, playNowFailed: this.playNowCounts.failed };
  }

  private online(deviceId: string): boolean {
    return this.deps.presence.health(deviceId)?.online ?? false;
  }

  /**
   * Online now and not rebooted since `atMs`: a boot first heard after T was down at T. Cloud time, not the
   * device's `startedAt` (a board without RTC boots with a stale clock). Unknown (seen only retained) → up.
   */
  private upSince(deviceId: string, atMs: number): boolean {
    const h = this.deps.presence.health(deviceId);
    if (!h?.online) return false;
    return h.bootSeenAt == null || h.bootSeenAt <= atMs;
  }

  /** Rebuild the indexes from the journal (plays; seqs seen per device; media each device has). */
  private async replayJournal(): Promise<number> {
    const now = this.deps.clock.now();
    const { book, ingest } = this.p;
    const stats = await this.deps.journal.replay((e) => {
      if (e.kind === "event") ingest.replayEntry(e);
      if (e.kind === "play" || e.kind === "event") book.replayEntry(e, now);
    });
    return stats.entries;
  }

  private subscribe(): void {
    const { bus, ingest, media, plans } = this.p;
    const known = knownDevices(this.deps.catalog);
    this.offs.push(
      bus.onEvents((id, batch) => void ingest.onBatch(id, batch)),
      bus.onMediaReq((id, req) => media.onRequest(id, req)),
      this.deps.presence.onChange((c) => {
        // A birth (ARCHITECTURE §3 "on device birth"): the device gets its plan again, same version.
        if (c.reason === "online" && known(c.deviceId)) plans.replan(`device ${c.deviceId} online`, { force: [c.deviceId] }).catch(() => undefined);
      }),
    );
  }

  private async playNow(b: Broadcast): Promise<PlayNowResult> {
    const { catalog, clock } = this.deps;
    const ttl = this.cfg.playNowTtlMs;
    const r = await sendPlayNow({ catalog, bus: this.p.bus, clock, log: this.log, chunkSize: this.cfg.chunkSize ?? DEFAULT_CHUNK_SIZE, ...(ttl !== undefined ? { ttlMs: ttl } : {}) }, b);
    this.playNowCounts.sent += r.sent.length;
    this.playNowCounts.failed += r.failed.length;
    return r;
  }
}

/** A play a device reports that the index lacks: ours when its broadcast exists (`<broadcastId>:<at ms>`). */
function lookupOf(catalog: Pick<Catalog, "data">): PlayLookup {
  return (deviceId, playId) => {
    const cut = playId.lastIndexOf(":");
    const atMs = Number(playId.slice(cut + 1));
    if (cut < 1 || !Number.isSafeInteger(atMs)) return undefined;
    const data = catalog.data();
    const b = data.broadcasts.find((x) => x.id === playId.slice(0, cut));
    if (!b || playIdOf(b.id, atMs) !== playId) return undefined;
    const bulletin = data.bulletins.find((x) => x.id === b.bulletinId);
    const areaId = data.devices.find((d) => d.id === deviceId)?.areaId ?? b.areaId;
    return { broadcastId: b.id, areaId, atMs, durationMs: bulletin?.durationMs ?? 0, ...(bulletin ? { sha256: bulletin.sha256 } : {}) };
  };
}

function playCounts(book: PlayBook): Record<string, number> {
  return { total: book.index.size, ...book.index.countByStatus() };
}

type Watched = Pick<CatalogData, "devices" | "areas" | "bulletins" | "broadcasts">;

/** Calls `onChange` when a collection that plans depend on was replaced (the catalogue copies on write). */
function watchCatalog(catalog: Pick<Catalog, "data">, clock: Clock, everyMs: number, onChange: () => void): TimerHandle {
  const pick = (): Watched => {
    const d = catalog.data();
    return { devices: d.devices, areas: d.areas, bulletins: d.bulletins, broadcasts: d.broadcasts };
  };
  let last = pick();
  return clock.setInterval(() => {
    const now = pick();
    if (now.devices === last.devices && now.areas === last.areas && now.bulletins === last.bulletins && now.broadcasts === last.broadcasts) return;
    last = now;
    onChange();
  }, everyMs);
}
