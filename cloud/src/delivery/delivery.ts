/**
 * Scheduling and delivery, cloud side (ARCHITECTURE §2, §3, §7), built by one factory that main.ts calls:
 * plans per device (PlanService), events in and acks out (EventIngest), media multicast
 * (MediaDistributor), the proof of play (PlayBook), the periodic jobs, and the REST routes for broadcasts,
 * plays and the CSV report. See README.md in this folder for the decisions.
 */
import { DEFAULT_CHUNK_SIZE, DEFAULT_TZ, errorMessage, playIdOf, type Clock, type MediaRef, type TimerHandle } from "@loa/shared";
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
import { sendPlayNow } from "./play-now.js";

/** Presence as delivery needs it (cloud/src/core/presence.ts satisfies it). */
export interface DevicePresence {
  onChange(listener: (change: Pick<PresenceChange, "deviceId" | "reason">) => void): () => void;
  health(deviceId: string): { online: boolean } | undefined;
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
  const cfg = deps.config ?? {};
  const log = deps.log.child({ ns: "cloud.delivery" });
  const bus = deps.bus ?? (deps.mqtt ? new MqttDeliveryBus(deps.mqtt) : undefined);
  if (!bus) throw new Error("createDelivery: give mqtt or bus");
  const tz = cfg.tz ?? DEFAULT_TZ;
  const chunkSize = cfg.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const book = new PlayBook({ journal: deps.journal, clock: deps.clock, log, retentionMs: (cfg.retentionDays ?? 62) * 86_400_000 });
  const plans = new PlanService({ catalog: deps.catalog, bus, book, clock: deps.clock, log, horizonH: cfg.horizonH ?? DEFAULT_PLAN_HORIZON_H, chunkSize });
  const known = (id: string): boolean => deps.catalog.data().devices.some((d) => d.id === id);
  const ingest = new EventIngest({ journal: deps.journal, bus, book, clock: deps.clock, log, known: knownDevices(deps.catalog), lookup: lookupOf(deps.catalog) });
  const allowed = new Map<string, { ref: MediaRef; untilMs: number }>();
  const referenced = (sha: string): MediaRef | undefined => {
    const extra = allowed.get(sha);
    if (extra && extra.untilMs < deps.clock.now()) allowed.delete(sha);
    return plans.referenced(sha) ?? (extra && extra.untilMs >= deps.clock.now() ? extra.ref : undefined);
  };
  const media = new MediaDistributor({
    bus, clock: deps.clock, log, referenced,
    source: deps.mediaSource ?? fileMediaSource(deps.mediaPathOf),
    ...(cfg.mediaWindowMs !== undefined ? { windowMs: cfg.mediaWindowMs } : {}),
    ...(cfg.maxMediaBytesPerSec !== undefined ? { maxBytesPerSec: cfg.maxMediaBytesPerSec } : {}),
  });
  const online = (id: string): boolean => deps.presence.health(id)?.online ?? false;
  const replan = (reason: string): Promise<ReplanResult> => plans.replan(reason);
  const jobs = deliveryJobs({
    catalog: deps.catalog, book, clock: deps.clock, log, replan,
    sweep: { online, graceMs: cfg.sweepGraceMs ?? 5 * 60_000, startedGraceMs: cfg.startedGraceMs ?? 30 * 60_000 },
    doneGraceMs: cfg.sweepGraceMs ?? 5 * 60_000,
  });
  const playNowCounts = { sent: 0, failed: 0 };
  const api: DeliveryApi = {
    book, replan, tz,
    plannedCount: (id) => plans.plannedCount(id),
    playNow: async (b) => {
      const r = await sendPlayNow({ catalog: deps.catalog, bus, clock: deps.clock, log, chunkSize, ...(cfg.playNowTtlMs !== undefined ? { ttlMs: cfg.playNowTtlMs } : {}) }, b);
      playNowCounts.sent += r.sent.length;
      playNowCounts.failed += r.failed.length;
      return r;
    },
  };
  const offs: (() => void)[] = [];
  let stopJobs: (() => Promise<void>) | undefined;
  let watch: TimerHandle | undefined;
  let started = false;

  const start = async (): Promise<void> => {
    if (started) return;
    started = true;
    const now = deps.clock.now();
    const replayed = await deps.journal.replay((e) => {
      if (e.kind === "event") ingest.replayEntry(e);
      if (e.kind === "play" || e.kind === "event") book.replayEntry(e, now);
    });
    plans.load();
    offs.push(
      bus.onEvents((id, batch) => void ingest.onBatch(id, batch)),
      bus.onMediaReq((id, req) => media.onRequest(id, req)),
      deps.presence.onChange((c) => {
        // A birth (ARCHITECTURE §3 "on device birth"): the device gets its plan again, same version.
        if (c.reason === "online" && known(c.deviceId)) plans.replan(`device ${c.deviceId} online`, { force: [c.deviceId] }).catch(() => undefined);
      }),
    );
    const force = deps.catalog.data().devices.filter((d) => online(d.id)).map((d) => d.id);
    await plans.replan("start", { reconcile: true, force });
    log.info({ journalEntries: replayed.entries, plays: book.index.size, online: force.length }, "delivery started");
    if (cfg.schedule !== false) stopJobs = scheduleJobs(jobs, { ...DEFAULT_JOB_SCHEDULE, ...(cfg.schedule ?? {}) }, log);
    const watchMs = cfg.watchMs ?? 2000;
    if (watchMs > 0) watch = watchCatalog(deps.catalog, deps.clock, watchMs, () => void replan("catalogue changed").catch(() => undefined));
  };

  const close = async (): Promise<void> => {
    watch?.cancel();
    for (const off of offs.splice(0)) off();
    await stopJobs?.();
    await media.close();
    await ingest.idle();
    await plans.idle();
  };

  return {
    routes: [broadcastRoutes(api), playRoutes(api), reportRoutes(api)],
    start,
    close,
    onChange: (listener) => book.onChange(listener),
    replan: (reason) => replan(reason).then(() => undefined, (err: unknown) => log.error({ reason, err: errorMessage(err) }, "replan failed; the next roll retries")),
    allowMedia: (ref, untilMs) => allowed.set(ref.sha256, { ref, untilMs }),
    stats: () => ({ ...plans.stats(), plays: playCounts(book), events: ingest.stats(), media: media.stats(), playNowSent: playNowCounts.sent, playNowFailed: playNowCounts.failed }),
    jobs,
    api,
  };
}

function knownDevices(catalog: Pick<Catalog, "data">): (id: string) => boolean {
  let list: unknown;
  let ids = new Set<string>();
  return (id) => {
    const devices = catalog.data().devices;
    if (devices !== list) {
      list = devices;
      ids = new Set(devices.map((d) => d.id));
    }
    return ids.has(id);
  };
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
  const out: Record<string, number> = { total: book.index.size };
  for (const r of book.index.all()) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
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
