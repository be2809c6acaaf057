/**
 * Keeping each receiver's retained plan current (ARCHITECTURE §3 "Plan, not push-at-time"): rebuild every
 * plan from the catalogue (cloud/src/scheduling), publish only the devices whose plan changed
 * (PlanVersioner.diff), and record the plays that entered or left the plans (PlayBook). Versions are kept
 * in the catalogue's meta so they stay monotonic across restarts.
 *
 * Replans never run side by side: a request while one runs is merged into the next run (reasons and
 * forced devices added up), and every caller's promise resolves when a run that started after its call
 * has finished, so it sees the catalogue change that made it call. A run made only of device births
 * re-sends those devices' last plans (same version) without a rebuild while the last build still holds.
 *
 * The per-minute roll is cheap (issue #9: a full build of 10,000 receivers blocked the event loop 0.2–0.5 s):
 * when the plan inputs are the same collections as the last build's and no occurrence entered the horizon
 * (scheduling/roll.ts), the last plans are pruned of ended plays and only the devices that lost one are
 * versioned and published. A full build converts and hashes plans `sliceSize` devices per turn of the
 * event loop, and starts again if the inputs were replaced meanwhile.
 */
import { errorMessage, nextTurn, type Clock, type MediaRef, type PlanItem } from "@loa/shared";
import type { Logger } from "pino";
import type { Catalog, CatalogData } from "../ports/store.js";
import {
  PlanVersioner,
  fingerprintOf,
  planPayload,
  planPlays,
  prunePlans,
  rollNeedsRebuild,
  toPlanItem,
  type PlanBuildResult,
  type PlanUpdate,
  type PlannedPlay,
  type SkippedBroadcast,
} from "../scheduling/index.js";
import type { DeliveryBus } from "./bus.js";
import type { PlayBook, Step } from "./play-book.js";

/** Where the versioner's state lives in `catalog.meta`. */
export const PLAN_VERSIONS_META = "delivery.planVersions";

/**
 * A birth re-sends the last built plan while the build is younger than this (twice the default roll) and
 * the catalogue collections plans depend on are the ones it used: a full rebuild costs seconds per
 * thousands of receivers, and a reconnect storm brings one birth per receiver.
 */
const BIRTH_REUSE_MS = 2 * 60_000;

type PlanInputs = Pick<CatalogData, "devices" | "areas" | "bulletins" | "broadcasts">;

export interface PlanServiceDeps {
  catalog: Pick<Catalog, "data" | "update">;
  bus: Pick<DeliveryBus, "publishPlan">;
  book: PlayBook;
  clock: Clock;
  log: Logger;
  horizonH: number;
  chunkSize: number;
  /** Plans handed to the broker at once; default 64. */
  publishConcurrency?: number;
  /** Devices whose plan is converted and hashed (and whose plays are recorded) per turn of the event loop; default PLAN_SLICE. */
  sliceSize?: number;
  /** Resolves after the event loop had a turn; default `setImmediate` (`nextTurn` from shared). */
  yieldTurn?: () => Promise<void>;
}

/** Devices per turn of the event loop while a full build converts and hashes plans. */
export const PLAN_SLICE = 500;

/** A full build whose inputs changed during its yields starts again, at most this many times. */
const MAX_RESTARTS = 3;

export interface ReplanOptions {
  /** Publish these devices' plans even when unchanged (same version): device birth. */
  force?: Iterable<string>;
  /** Reconcile the play index with every device's plan, not only the changed ones (start-up). */
  reconcile?: boolean;
}

export interface ReplanResult {
  /** Devices whose plan was published. */
  published: string[];
  /** Devices whose publish failed (their next replan sends them again, with a new version). */
  failed: string[];
  skipped: SkippedBroadcast[];
}

export interface PlanStats {
  replans: number;
  /** Replans served by pruning the last build (same catalogue, nothing entering the horizon). */
  rolls: number;
  plansPublished: number;
  planPublishErrors: number;
  /** Broadcasts left out of the last build (missing bulletin, broken cron). */
  skippedBroadcasts: number;
  /** Non-emergency plays left out of the last build by quiet hours. */
  quietDropped: number;
}

interface Pending {
  reasons: string[];
  force: Set<string>;
  reconcile: boolean;
  /** False while every merged call was a birth (force only): the last build may serve them. */
  rebuild: boolean;
  promise: Promise<ReplanResult>;
  resolve: (r: ReplanResult) => void;
  reject: (err: unknown) => void;
}

export class PlanService {
  private readonly versioner: PlanVersioner;
  private last: PlanBuildResult | undefined;
  /** What the last build was made from, and when. */
  private built: { inputs: PlanInputs; atMs: number } | undefined;
  private media = new Map<string, MediaRef>();
  private next: Pending | undefined;
  private busy = false;
  private draining: Promise<void> = Promise.resolve();
  private savedState = "";
  /** Versions changed since the last save (so an idle roll does not serialise 10,000 entries to compare). */
  private versionsDirty = true;
  /** Devices whose last publish failed: a roll without a rebuild sends them again. */
  private readonly retry = new Set<string>();
  private readonly counts = { replans: 0, plansPublished: 0, planPublishErrors: 0, rolls: 0 };

  private readonly slice: number;
  private readonly yieldTurn: () => Promise<void>;

  constructor(private readonly deps: PlanServiceDeps) {
    this.versioner = new PlanVersioner({ clock: deps.clock });
    this.slice = Math.max(1, deps.sliceSize ?? PLAN_SLICE);
    this.yieldTurn = deps.yieldTurn ?? nextTurn;
  }

  /** Load the saved plan versions (call once at start, before the first replan). */
  load(): void {
    const saved = this.deps.catalog.data().meta[PLAN_VERSIONS_META];
    if (saved === undefined) return;
    try {
      this.versioner.load(saved);
      this.savedState = JSON.stringify(saved);
    } catch (err) {
      // Versions still rise (they follow the clock); only exactness across the restart is lost.
      this.deps.log.warn({ err: errorMessage(err) }, "saved plan versions unreadable: starting from the clock");
    }
  }

  stats(): PlanStats {
    return { ...this.counts, skippedBroadcasts: this.last?.skipped.length ?? 0, quietDropped: this.last?.quiet.length ?? 0 };
  }

  /** The media a current plan uses (for the media distributor), or undefined. */
  referenced(sha256: string): MediaRef | undefined {
    return this.media.get(sha256);
  }

  /** Plays of a broadcast in the plans of the last build. */
  plannedCount(broadcastId: string): number {
    let n = 0;
    for (const plays of this.last?.byDevice.values() ?? []) for (const p of plays) if (p.broadcastId === broadcastId) n++;
    return n;
  }

  replan(reason: string, opts: ReplanOptions = {}): Promise<ReplanResult> {
    const req = (this.next ??= pending());
    req.reasons.push(reason);
    for (const id of opts.force ?? []) req.force.add(id);
    req.reconcile ||= opts.reconcile ?? false;
    req.rebuild ||= opts.force === undefined || req.reconcile;
    if (!this.busy) this.draining = this.drain();
    return req.promise;
  }

  /** Resolves when no replan runs or waits (shutdown). */
  async idle(): Promise<void> {
    await this.draining;
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.next) {
        const req = this.next;
        this.next = undefined;
        try {
          req.resolve(await this.run(req));
        } catch (err) {
          this.deps.log.error({ err: errorMessage(err), reasons: req.reasons }, "replan failed");
          req.reject(err);
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private async run(req: Pending): Promise<ReplanResult> {
    const data = this.deps.catalog.data();
    const now = this.deps.clock.now();
    this.counts.replans++;
    const births = req.rebuild ? undefined : this.lastPlans(req.force, data, now);
    if (births) return { ...(await this.publish(births, now)), skipped: this.last?.skipped ?? [] };
    if (!req.reconcile && this.canRoll(data, now)) return this.roll(req, data, now);
    return this.rebuild(req);
  }

  /** Same catalogue as the last build and nothing entering the horizon: pruning the last plans is exact. */
  private canRoll(data: PlanInputs, now: number): boolean {
    const b = this.built;
    if (!b || !this.last || !sameInputs(b.inputs, data)) return false;
    return !rollNeedsRebuild({ ...data, nowMs: now, horizonH: this.deps.horizonH }, b.atMs, this.last);
  }

  /** The horizon moved, nothing else: only devices that lost an ended play (or must be resent) are touched. */
  private async roll(req: Pending, data: PlanInputs, now: number): Promise<ReplanResult> {
    const last = this.last as PlanBuildResult;
    const { byDevice, changed } = prunePlans(last.byDevice, now);
    const subset = new Map<string, PlannedPlay[]>();
    for (const id of new Set([...changed, ...this.retry, ...req.force])) {
      const plays = byDevice.get(id);
      if (plays) subset.set(id, plays);
    }
    // A daily bulletin ending on every receiver changes them all: converted in slices too.
    const converted = await this.convert(subset, data);
    if (!converted) return this.rebuild(req);
    this.counts.rolls++;
    const result: PlanBuildResult = { ...last, byDevice };
    this.last = result;
    this.built = { inputs: pickInputs(data), atMs: now };
    if (changed.length > 0) this.media = mediaOf(result);
    return this.finish(req, { result, ...converted, data, now, touched: undefined, full: false });
  }

  /**
   * Every plan from the catalogue. Converting and hashing 10,000 plans takes a few hundred ms, so it runs
   * `sliceSize` devices per turn of the event loop; if the plan inputs change meanwhile the build starts
   * again from the new ones (a plan is never published from a catalogue already replaced).
   */
  private async rebuild(req: Pending): Promise<ReplanResult> {
    for (let attempt = 0; ; attempt++) {
      const data = this.deps.catalog.data();
      const now = this.deps.clock.now();
      const result = planPlays({ ...data, nowMs: now, horizonH: this.deps.horizonH, chunkSize: this.deps.chunkSize });
      const converted = await this.convert(result.byDevice, attempt < MAX_RESTARTS ? data : undefined);
      if (!converted) continue;
      const { plans, prints } = converted;
      this.last = result;
      this.built = { inputs: pickInputs(data), atMs: now };
      this.media = mediaOf(result);
      this.retry.clear();
      this.versionsDirty = true;
      for (const id of this.versioner.deviceIds()) if (!plans.has(id)) this.versioner.forget(id);
      return this.finish(req, { result, plans, prints, data, now, touched: req.reconcile ? [...plans.keys()] : undefined, full: true });
    }
  }

  /**
   * Wire items and fingerprints of every plan, `sliceSize` devices per turn of the event loop; undefined
   * as soon as the catalogue's plan inputs are no longer `from` (checked after each turn).
   */
  private async convert(byDevice: ReadonlyMap<string, readonly PlannedPlay[]>, from: PlanInputs | undefined): Promise<Converted | undefined> {
    const size = this.slice;
    const plans = new Map<string, PlanItem[]>();
    const prints = new Map<string, string>();
    let n = 0;
    for (const [id, plays] of byDevice) {
      if (n > 0 && n % size === 0) {
        await this.yieldTurn();
        if (from && !sameInputs(from, this.deps.catalog.data())) return undefined;
      }
      const items = plays.map(toPlanItem);
      plans.set(id, items);
      prints.set(id, fingerprintOf(items));
      n++;
    }
    return { plans, prints };
  }

  /** Version, record and publish the changed plans (shared by the full build and the roll). */
  private async finish(req: Pending, b: Built): Promise<ReplanResult> {
    const { result, plans, now } = b;
    const updates = this.versioner.diff(plans, { force: [...req.force].filter((id) => plans.has(id)), fingerprints: b.prints });
    if (updates.length > 0) this.versionsDirty = true;
    const touched = b.touched ?? updates.map((u) => u.deviceId);
    // An idle roll touches nobody: no map of 10,000 devices then.
    const areaOf = new Map(touched.length > 0 ? b.data.devices.map((d) => [d.id, d.areaId]) : []);
    // Plays are recorded before the plans go out, so a device's quick plan_applied finds them.
    const steps: Step[] = [];
    for (let i = 0; i < touched.length; i += this.slice) {
      if (i > 0) await this.yieldTurn();
      for (const id of touched.slice(i, i + this.slice)) steps.push(this.deps.book.planned(id, areaOf.get(id) ?? "", result.byDevice.get(id) ?? [], this.versioner.versionOf(id) ?? 0, now));
    }
    const outcome = await this.publish(updates, now);
    await this.deps.book.commit(merge(steps));
    await this.saveVersions();
    if (updates.length > 0 || (b.full && result.skipped.length > 0)) {
      this.deps.log.info({ reasons: req.reasons.slice(0, 5), published: outcome.published.length, failed: outcome.failed.length, skipped: result.skipped.length, full: b.full }, "plans rebuilt");
    }
    return { ...outcome, skipped: result.skipped };
  }

  /** The plans last published to `ids` (same versions), when the last build still holds; else undefined. */
  private lastPlans(ids: ReadonlySet<string>, data: PlanInputs, now: number): PlanUpdate[] | undefined {
    const b = this.built;
    if (!b || now - b.atMs > BIRTH_REUSE_MS) return undefined;
    if (!sameInputs(b.inputs, data)) return undefined;
    const out: PlanUpdate[] = [];
    for (const id of ids) {
      const plan = this.versioner.forDevice(id);
      if (!plan) return undefined;
      out.push(plan);
    }
    return out;
  }

  private async publish(updates: readonly PlanUpdate[], now: number): Promise<Omit<ReplanResult, "skipped">> {
    const published: string[] = [];
    const failed: string[] = [];
    const width = this.deps.publishConcurrency ?? 64;
    for (let i = 0; i < updates.length; i += width) {
      // A broker that acks at once (in-process) would otherwise run every encode back to back.
      if (i > 0 && i % this.slice < width) await this.yieldTurn();
      await Promise.all(updates.slice(i, i + width).map(async (u) => {
        try {
          await this.deps.bus.publishPlan(u.deviceId, planPayload(u, now));
          published.push(u.deviceId);
          this.retry.delete(u.deviceId);
          this.counts.plansPublished++;
        } catch (err) {
          this.versioner.invalidate(u.deviceId);
          this.retry.add(u.deviceId);
          this.versionsDirty = true;
          failed.push(u.deviceId);
          this.counts.planPublishErrors++;
          this.deps.log.warn({ deviceId: u.deviceId, version: u.version, err: errorMessage(err) }, "plan not published; it goes out with the next replan");
        }
      }));
    }
    return { published, failed };
  }

  private async saveVersions(): Promise<void> {
    if (!this.versionsDirty) return;
    this.versionsDirty = false;
    const state = this.versioner.state();
    const text = JSON.stringify(state);
    if (text === this.savedState) return;
    try {
      await this.deps.catalog.update((d) => {
        d.meta[PLAN_VERSIONS_META] = state;
      });
      this.savedState = text;
    } catch (err) {
      this.versionsDirty = true;
      this.deps.log.warn({ err: errorMessage(err) }, "plan versions not saved");
    }
  }
}

interface Converted {
  plans: Map<string, PlanItem[]>;
  prints: Map<string, string>;
}

/** What `finish` versions and publishes (`plans`: every device after a full build, the changed ones after a roll). */
interface Built extends Converted {
  result: PlanBuildResult;
  /** A full build (false: a roll that pruned the last one). */
  full: boolean;
  data: PlanInputs;
  now: number;
  /** Devices whose plays are reconciled with the index; default the devices whose plan was published. */
  touched: string[] | undefined;
}

function pickInputs(data: PlanInputs): PlanInputs {
  return { devices: data.devices, areas: data.areas, bulletins: data.bulletins, broadcasts: data.broadcasts };
}

/** The catalogue copies a collection on write, so identity tells whether plan inputs changed. */
function sameInputs(a: PlanInputs, b: PlanInputs): boolean {
  return a.devices === b.devices && a.areas === b.areas && a.bulletins === b.bulletins && a.broadcasts === b.broadcasts;
}

function pending(): Pending {
  let resolve: (r: ReplanResult) => void = () => undefined;
  let reject: (err: unknown) => void = () => undefined;
  const promise = new Promise<ReplanResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A caller that does not await (a cron tick) must not leave an unhandled rejection behind.
  promise.catch(() => undefined);
  return { reasons: [], force: new Set(), reconcile: false, rebuild: false, promise, resolve, reject };
}

function mediaOf(result: PlanBuildResult): Map<string, MediaRef> {
  const out = new Map<string, MediaRef>();
  for (const plays of result.byDevice.values()) for (const p of plays) if (!out.has(p.media.sha256)) out.set(p.media.sha256, p.media);
  return out;
}

function merge(steps: readonly Step[]): Step {
  return { entries: steps.flatMap((s) => s.entries), changes: steps.flatMap((s) => s.changes) };
}
