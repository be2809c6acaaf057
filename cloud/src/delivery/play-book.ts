/**
 * Proof of play (ARCHITECTURE §2 Play, §3 events, §8 journal): every status change of a play is computed
 * here, applied to the in-memory PlayIndex at once, and written to the journal as a `kind: "play"` line
 * holding the whole record after the change (or a drop). On start the journal is replayed line by line, so
 * the index is rebuilt exactly. Listeners (the SSE stream) hear a change only once it is durable.
 */
import { errorMessage, isoOf, type Clock, type DeviceEvent, type PlayStatus, type PlayView } from "@loa/shared";
import type { Logger } from "pino";
import type { PlannedPlay } from "../scheduling/plans.js";
import type { Journal, JournalEntry } from "../ports/store.js";
import { OPEN, PlayIndex, canMove, keyOf, viewOf, type PlayRecord } from "./play-index.js";

/** A play status change as the SSE stream forwards it; `removed` when it left the plans before it began. */
export type PlayChange = PlayView & { removed?: boolean };

export type PlayChangeListener = (change: PlayChange) => void;

/** Changes applied in memory, with the journal lines that make them durable. */
export interface Step {
  entries: JournalEntry[];
  changes: PlayChange[];
}

/** What a play the index does not know is, from its playId (`<broadcastId>:<at ms>`); undefined = not ours. */
export type PlayLookup = (deviceId: string, playId: string) => Omit<PlayRecord, "status" | "deviceId" | "playId"> | undefined;

export interface SweepOptions {
  /**
   * Was the receiver up through the play's time: online now, with an agent running since before `atMs`?
   * No → `missed` (it was offline or powered off at T); yes → `failed` (it should have reported).
   */
  upSince: (deviceId: string, atMs: number) => boolean;
  /** After `at + duration` plus this, a play nobody reported on is swept. */
  graceMs: number;
  /** After `at + duration` plus this, a started play with no end is `failed`. */
  startedGraceMs: number;
}

export interface PlayBookDeps {
  journal: Pick<Journal, "append">;
  clock: Clock;
  log: Logger;
  /** Records older than this (by `at`) leave the index (they stay in the journal files). */
  retentionMs: number;
}

const READY_MEDIA_PER_DEVICE = 64;
const REASON_MAX = 500;

export class PlayBook {
  readonly index = new PlayIndex();
  /** Per device, media it reported ready (recent first out), so a play of cached media is `ready` once delivered. */
  private readonly readyMedia = new Map<string, Set<string>>();
  private readonly listeners = new Set<PlayChangeListener>();

  constructor(private readonly deps: PlayBookDeps) {}

  onChange(listener: PlayChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One journal line at start-up (kind play, and event for media_ready). */
  replayEntry(entry: JournalEntry, nowMs: number): void {
    if (entry.kind === "play") {
      if (entry.op === "drop" && typeof entry.deviceId === "string" && typeof entry.playId === "string") {
        this.index.delete(entry.deviceId, entry.playId);
      } else if (entry.op === "set" && isRecord(entry.play) && entry.play.atMs >= nowMs - this.deps.retentionMs) {
        this.index.set(entry.play);
      }
    } else if (entry.kind === "event" && typeof entry.deviceId === "string") {
      const e = entry.event as { type?: unknown; sha256?: unknown } | undefined;
      if (e?.type === "media_ready" && typeof e.sha256 === "string") this.noteReady(entry.deviceId, e.sha256);
    }
  }

  /** Append the step's lines; once durable, tell listeners. Rejects when the journal does. */
  async commit(step: Step): Promise<void> {
    if (step.entries.length > 0) await this.deps.journal.append(...step.entries);
    this.emit(step.changes);
  }

  emit(changes: readonly PlayChange[]): void {
    for (const change of changes) {
      for (const listener of this.listeners) {
        try {
          listener(change);
        } catch (err) {
          this.deps.log.error({ err: errorMessage(err), playId: change.playId }, "play listener failed");
        }
      }
    }
  }

  /**
   * A device's plan as just published (`version`): plays new to the index become `planned`; plays still
   * before their end that left the plan (cancelled, paused, retargeted) are dropped.
   */
  planned(deviceId: string, areaId: string, plays: readonly PlannedPlay[], version: number, nowMs: number): Step {
    const w = new StepWriter(this.index, nowMs);
    const inPlan = new Set<string>();
    for (const p of plays) {
      inPlan.add(p.playId);
      if (this.index.get(deviceId, p.playId)) continue;
      w.put({ playId: p.playId, broadcastId: p.broadcastId, deviceId, areaId, atMs: p.atMs, durationMs: p.durationMs, sha256: p.media.sha256, status: "planned", plannedVersion: version });
    }
    for (const r of this.index.ofDevice(deviceId)) {
      if (OPEN.has(r.status) && !inPlan.has(r.playId) && r.atMs + r.durationMs > nowMs) w.drop(r);
    }
    return w.done();
  }

  /** The play changes a batch of fresh device events makes (in order). */
  fromEvents(deviceId: string, events: readonly DeviceEvent[], lookup: PlayLookup, nowMs: number): Step {
    const w = new StepWriter(this.index, nowMs);
    for (const e of events) {
      if (e.type === "plan_applied") this.delivered(w, deviceId, e.version);
      else if (e.type === "media_ready") this.mediaReady(w, deviceId, e.sha256);
      else if ("playId" in e) this.playEvent(w, deviceId, e, lookup);
    }
    return w.done();
  }

  /** Plays whose time passed without a report (ARCHITECTURE §2 statuses; docs/delivery.md "sweep"). */
  sweep(nowMs: number, opts: SweepOptions): Step {
    const w = new StepWriter(this.index, nowMs);
    for (const r of this.index.unfinished()) {
      const end = r.atMs + r.durationMs;
      if (OPEN.has(r.status) && end + opts.graceMs <= nowMs) {
        const up = opts.upSince(r.deviceId, r.atMs);
        w.put({ ...r, status: up ? "failed" : "missed", reason: up ? "no_report" : "offline", inferred: true });
      } else if (r.status === "started" && end + opts.startedGraceMs <= nowMs) {
        w.put({ ...r, status: "failed", reason: "no_finish_report", inferred: true });
      }
    }
    return w.done();
  }

  /** Forget records older than the retention (memory only; the journal keeps them). Returns how many. */
  retain(nowMs: number): number {
    const limit = nowMs - this.deps.retentionMs;
    const old = [...this.index.all()].filter((r) => r.atMs < limit);
    for (const r of old) this.index.delete(r.deviceId, r.playId);
    return old.length;
  }

  private delivered(w: StepWriter, deviceId: string, version: number): void {
    const ready = this.readyMedia.get(deviceId);
    for (const r of this.index.ofDevice(deviceId)) {
      if (r.status !== "planned" || r.plannedVersion === undefined || r.plannedVersion > version) continue;
      w.put({ ...r, status: r.sha256 !== undefined && ready?.has(r.sha256) ? "ready" : "delivered" });
    }
  }

  private mediaReady(w: StepWriter, deviceId: string, sha256: string): void {
    this.noteReady(deviceId, sha256);
    for (const r of this.index.ofDevice(deviceId)) {
      if (r.status === "delivered" && r.sha256 === sha256) w.put({ ...r, status: "ready" });
    }
  }

  private playEvent(w: StepWriter, deviceId: string, e: Extract<DeviceEvent, { playId: string }>, lookup: PlayLookup): void {
    const current = w.get(deviceId, e.playId) ?? newRecord(deviceId, e.playId, lookup);
    if (!current) return;
    const next = applyPlayEvent(current, e);
    if (next) w.put(next);
  }

  private noteReady(deviceId: string, sha256: string): void {
    let set = this.readyMedia.get(deviceId);
    if (!set) {
      set = new Set();
      this.readyMedia.set(deviceId, set);
    }
    set.delete(sha256);
    set.add(sha256);
    if (set.size > READY_MEDIA_PER_DEVICE) {
      const oldest = set.values().next().value;
      if (oldest !== undefined) set.delete(oldest);
    }
  }
}

function newRecord(deviceId: string, playId: string, lookup: PlayLookup): PlayRecord | undefined {
  const meta = lookup(deviceId, playId);
  // "planned" is below every status an event sets, so the event always applies to a new record.
  return meta ? { ...meta, deviceId, playId, status: "planned" } : undefined;
}

/** The record after one device event, or undefined when the event does not move it (never backwards). */
export function applyPlayEvent(r: PlayRecord, e: Extract<DeviceEvent, { playId: string }>): PlayRecord | undefined {
  const to = statusOf(e);
  if (!canMove(r, to, true)) return undefined;
  const next: PlayRecord = { ...r, status: to };
  delete next.inferred;
  delete next.reason;
  switch (e.type) {
    case "play_started":
      next.startedAt = e.startedAt;
      break;
    case "play_finished":
      next.playedMs = e.playedMs;
      next.finishedAt = isoOf(e.ts);
      break;
    case "play_failed":
      next.reason = clip(e.reason);
      break;
    case "play_missed":
      next.reason = clip(e.reason ?? "missed");
      break;
    case "play_interrupted":
      next.playedMs = e.playedMs;
      next.finishedAt = isoOf(e.ts);
      next.reason = e.byPlayId ? clip(`interrupted by ${e.byPlayId}`) : e.byCmdId ? clip(`stopped by command ${e.byCmdId}`) : "stopped";
      break;
  }
  return next;
}

function statusOf(e: Extract<DeviceEvent, { playId: string }>): PlayStatus {
  const map: Record<typeof e.type, PlayStatus> = {
    play_started: "started",
    play_finished: "finished",
    play_failed: "failed",
    play_missed: "missed",
    play_interrupted: "interrupted",
  };
  return map[e.type];
}

function clip(s: string): string {
  return s.length > REASON_MAX ? s.slice(0, REASON_MAX) : s;
}

function isRecord(v: unknown): v is PlayRecord {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Partial<PlayRecord>;
  return typeof r.playId === "string" && typeof r.deviceId === "string" && typeof r.broadcastId === "string" && typeof r.atMs === "number" && typeof r.status === "string";
}

/** Applies changes to the index as they are made and collects one journal line per touched record. */
class StepWriter {
  private readonly lines = new Map<string, JournalEntry>();
  private readonly changes = new Map<string, PlayChange>();

  constructor(
    private readonly index: PlayIndex,
    private readonly nowMs: number,
  ) {}

  get(deviceId: string, playId: string): PlayRecord | undefined {
    return this.index.get(deviceId, playId);
  }

  put(r: PlayRecord): void {
    const key = keyOf(r.deviceId, r.playId);
    this.index.set(r);
    this.lines.set(key, { kind: "play", ts: this.nowMs, op: "set", play: { ...r } });
    this.changes.set(key, viewOf(r));
  }

  drop(r: PlayRecord): void {
    const key = keyOf(r.deviceId, r.playId);
    this.index.delete(r.deviceId, r.playId);
    this.lines.set(key, { kind: "play", ts: this.nowMs, op: "drop", deviceId: r.deviceId, playId: r.playId, broadcastId: r.broadcastId });
    this.changes.set(key, { ...viewOf(r), removed: true });
  }

  done(): Step {
    return { entries: [...this.lines.values()], changes: [...this.changes.values()] };
  }
}
