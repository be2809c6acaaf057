/**
 * The receiver's plan and per-play state on disk (ARCHITECTURE §3 "Plan, not push-at-time", §2 Play).
 *
 * `plan.json`: the current plan, replaced atomically (temp, fsync, rename, dir fsync), so a receiver that
 * reboots without network still plays its schedule. A plan whose version is not newer is ignored.
 *
 * `plays.jsonl`: one line per change of a play's state (the whole record, last line wins), fdatasynced
 * before the promise resolves, compacted on open and as it grows. States on the device:
 *   (none) ──► started ──► finished | failed | interrupted
 *   (none) ──► failed | missed                 (never started: media missing, late beyond tolerance ...)
 * finished, failed, missed and interrupted are final: a final play is never started or reported again.
 * `started` is written before audio begins. A `started` play found at open means the agent died during
 * it (crash, power cut): it becomes `failed` with reason `agent_restarted_during_play`; not `interrupted`,
 * because that event claims a `playedMs` nobody measured.
 *
 * Reporting: every record also says which of its states was handed to the outbox (`reported`). The agent
 * appends `playEventsOf(record)` to the outbox, then calls `markReported`. A crash between the two reports
 * the same state again (the cloud keys plays by playId, so that is harmless); a crash before never loses it.
 */
import type { Clock } from "@loa/shared";
import { LoaError } from "@loa/shared";
import type { Logger } from "pino";
import { join } from "node:path";
import type { DurableFs } from "../ports/fs.js";
import { Serial } from "../lib/serial.js";
import { diffPlans, parsePlan } from "./plan-parse.js";
import type { Plan } from "./plan-parse.js";

export type { Plan, PlanItem, PlanMedia } from "./plan-parse.js";
export { parsePlan } from "./plan-parse.js";

export type PlayState = "started" | "finished" | "failed" | "missed" | "interrupted";
export const FINAL_PLAY_STATES: ReadonlySet<PlayState> = new Set(["finished", "failed", "missed", "interrupted"]);
const NEXT: Record<PlayState | "none", readonly PlayState[]> = {
  none: ["started", "failed", "missed"],
  started: ["finished", "failed", "interrupted"],
  finished: [],
  failed: [],
  missed: [],
  interrupted: [],
};
export const RESTART_DURING_PLAY = "agent_restarted_during_play";

export interface PlayRecord {
  playId: string;
  status: PlayState;
  /** Planned start (ISO), from the plan item. */
  at?: string;
  /** When audio began (ISO). */
  startedAt?: string;
  /** When it reached a final state (ISO). */
  endedAt?: string;
  playedMs?: number;
  reason?: string;
  byPlayId?: string;
  byCmdId?: string;
  /** The state whose event(s) went to the outbox; `status` when nothing is left to report. */
  reported: PlayState | null;
  /** Epoch ms of the last change (retention). */
  updatedAt: number;
}

export type ApplyResult =
  | { applied: false; reason: "older_version" | "same_version"; currentVersion: number }
  | { applied: true; version: number; added: string[]; removed: string[]; changed: string[] };

export interface PlanStoreOpened {
  plan: Plan | null;
  /** Plays found `started` and turned into `failed` (agent_restarted_during_play); to be reported. */
  recovered: PlayRecord[];
}

export interface PlanStoreDeps {
  fs: DurableFs;
  dir: string;
  clock: Clock;
  log: Logger;
  /** Keep reported final records this long after their last change, unless still in the plan (default 7 days). */
  retainMs?: number;
}

export class PlanStoreError extends LoaError {}

/** What a play event carries besides type/playId (ARCHITECTURE §3 event types). */
export type PlayEventInput = { type: string; playId: string } & Record<string, unknown>;

export class PlanStore {
  private plan: Plan | null = null;
  private readonly plays = new Map<string, PlayRecord>();
  private lines = 0;
  private readonly serial = new Serial();
  private readonly planPath: string;
  private readonly playsPath: string;
  private readonly retainMs: number;

  constructor(private readonly deps: PlanStoreDeps) {
    this.planPath = join(deps.dir, "plan.json");
    this.playsPath = join(deps.dir, "plays.jsonl");
    this.retainMs = deps.retainMs ?? 7 * 24 * 3600 * 1000;
  }

  /** Load the plan and play states; turn plays left `started` by a crash into `failed`. */
  open(): Promise<PlanStoreOpened> {
    return this.serial.run(async () => {
      await this.deps.fs.mkdirp(this.deps.dir);
      this.plan = await this.loadPlan();
      await this.loadPlays();
      const recovered: PlayRecord[] = [];
      for (const rec of [...this.plays.values()].filter((r) => r.status === "started")) {
        const failed = this.change(rec.playId, rec, "failed", { reason: RESTART_DURING_PLAY });
        this.plays.set(rec.playId, failed);
        recovered.push({ ...failed });
      }
      await this.compact();
      if (recovered.length > 0) this.deps.log.warn({ playIds: recovered.map((r) => r.playId) }, "plays cut by a restart");
      return { plan: this.plan, recovered };
    });
  }

  current(): Plan | null {
    return this.plan;
  }

  /** Store a newer plan; says which plays joined, left or changed (at, priority, volume, media). */
  apply(plan: Plan): Promise<ApplyResult> {
    return this.serial.run(async () => {
      const checked = parsePlan(plan);
      if (!checked) throw new PlanStoreError("plan_invalid", "plan has a bad shape or duplicate playIds");
      const old = this.plan;
      if (old && checked.version <= old.version) {
        const reason = checked.version === old.version ? "same_version" : "older_version";
        return { applied: false, reason, currentVersion: old.version } as const;
      }
      await this.deps.fs.writeAtomic(this.planPath, JSON.stringify(checked));
      this.plan = checked;
      return { applied: true, version: checked.version, ...diffPlans(old, checked) } as const;
    });
  }

  play(playId: string): PlayRecord | undefined {
    const rec = this.plays.get(playId);
    return rec ? { ...rec } : undefined;
  }

  /** True only for a play with no state at all: never started, never given up. */
  mayStart(playId: string): boolean {
    return !this.plays.has(playId);
  }

  /**
   * Each `mark*` resolves with the new record once it is on disk, or null when the move is not allowed
   * (the play is already in that or a final state): the caller then must not play or report it.
   */
  markStarted(playId: string, p: { at: string; startedAt?: string }): Promise<PlayRecord | null> {
    return this.transition(playId, "started", { at: p.at, startedAt: p.startedAt ?? this.iso() });
  }

  markFinished(playId: string, p: { playedMs: number }): Promise<PlayRecord | null> {
    return this.transition(playId, "finished", { playedMs: p.playedMs });
  }

  markFailed(playId: string, p: { reason: string; at?: string }): Promise<PlayRecord | null> {
    return this.transition(playId, "failed", p);
  }

  markMissed(playId: string, p: { reason?: string; at?: string } = {}): Promise<PlayRecord | null> {
    return this.transition(playId, "missed", p);
  }

  markInterrupted(playId: string, p: { playedMs: number; byPlayId?: string; byCmdId?: string }): Promise<PlayRecord | null> {
    return this.transition(playId, "interrupted", p);
  }

  /** The events for `status` are in the outbox. */
  markReported(playId: string, status: PlayState): Promise<void> {
    return this.serial.run(async () => {
      const rec = this.plays.get(playId);
      if (!rec || rec.reported === status) return;
      const next = { ...rec, reported: status };
      await this.persist(next);
    });
  }

  /** Records whose latest state has not reached the outbox yet (after a crash, or not yet reported). */
  unreported(): PlayRecord[] {
    return [...this.plays.values()].filter((r) => r.reported !== r.status).map((r) => ({ ...r }));
  }

  records(): PlayRecord[] {
    return [...this.plays.values()].map((r) => ({ ...r }));
  }

  private transition(playId: string, to: PlayState, fields: Partial<PlayRecord>): Promise<PlayRecord | null> {
    return this.serial.run(async () => {
      const rec = this.plays.get(playId);
      if (!NEXT[rec?.status ?? "none"].includes(to)) {
        this.deps.log.warn({ playId, from: rec?.status ?? "none", to }, "play state change refused");
        return null;
      }
      const next = this.change(playId, rec, to, fields);
      await this.persist(next);
      return { ...next };
    });
  }

  /** The next record; the caller stores it (after it is on disk). */
  private change(playId: string, rec: PlayRecord | undefined, to: PlayState, fields: Partial<PlayRecord>): PlayRecord {
    const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    const next: PlayRecord = { reported: null, ...rec, ...defined, playId, status: to, updatedAt: this.deps.clock.now() };
    if (FINAL_PLAY_STATES.has(to)) next.endedAt = this.iso();
    return next;
  }

  private async persist(rec: PlayRecord): Promise<void> {
    await this.deps.fs.appendJsonLines(this.playsPath, [rec]);
    this.plays.set(rec.playId, rec);
    this.lines++;
    if (this.lines > 2 * this.plays.size + 200) await this.compact();
  }

  private async loadPlan(): Promise<Plan | null> {
    const raw = await this.deps.fs.readFile(this.planPath);
    if (!raw) return null;
    let plan: Plan | null = null;
    try {
      plan = parsePlan(JSON.parse(Buffer.from(raw).toString("utf8")));
    } catch {
      plan = null;
    }
    if (!plan) this.deps.log.error({ path: this.planPath }, "stored plan unreadable: waiting for the next one");
    return plan;
  }

  private async loadPlays(): Promise<void> {
    const read = await this.deps.fs.readJsonLines(this.playsPath);
    if (!read) return;
    for (const rec of read.records) if (isPlayRecord(rec)) this.plays.set(rec.playId, rec);
    if (read.torn || read.bad > 0) this.deps.log.warn({ torn: read.torn, bad: read.bad }, "plays journal: damaged lines skipped");
  }

  /** Rewrite plays.jsonl with one line per kept play; forget old, reported, final plays not in the plan. */
  private async compact(): Promise<void> {
    const inPlan = new Set(this.plan?.items.map((i) => i.playId));
    const horizon = this.deps.clock.now() - this.retainMs;
    for (const [id, r] of this.plays) {
      const done = FINAL_PLAY_STATES.has(r.status) && r.reported === r.status;
      if (done && r.updatedAt < horizon && !inPlan.has(id)) this.plays.delete(id);
    }
    const text = [...this.plays.values()].map((r) => JSON.stringify(r) + "\n").join("");
    await this.deps.fs.writeAtomic(this.playsPath, text);
    this.lines = this.plays.size;
  }

  private iso(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }
}

/**
 * The outbox events that report `rec` (ARCHITECTURE §3 event types): its final event, preceded by
 * `play_started` when that was never reported. Empty when everything is reported.
 */
export function playEventsOf(rec: PlayRecord): PlayEventInput[] {
  if (rec.reported === rec.status) return [];
  const { playId } = rec;
  const out: PlayEventInput[] = [];
  if (rec.startedAt && rec.at && rec.reported === null) out.push({ type: "play_started", playId, at: rec.at, startedAt: rec.startedAt });
  if (rec.status === "finished") out.push({ type: "play_finished", playId, playedMs: rec.playedMs ?? 0 });
  if (rec.status === "failed") out.push({ type: "play_failed", playId, reason: rec.reason ?? "unknown" });
  if (rec.status === "missed") out.push({ type: "play_missed", playId, ...(rec.reason ? { reason: rec.reason } : {}) });
  if (rec.status === "interrupted") {
    const by = { ...(rec.byPlayId ? { byPlayId: rec.byPlayId } : {}), ...(rec.byCmdId ? { byCmdId: rec.byCmdId } : {}) };
    out.push({ type: "play_interrupted", playId, ...by, playedMs: rec.playedMs ?? 0 });
  }
  return out;
}

function isPlayRecord(v: unknown): v is PlayRecord {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Record<string, unknown>;
  const states: readonly unknown[] = NEXT.none.concat(NEXT.started);
  return (
    typeof r.playId === "string" &&
    states.includes(r.status) &&
    (r.reported === null || states.includes(r.reported)) &&
    typeof r.updatedAt === "number"
  );
}
