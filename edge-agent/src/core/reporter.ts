/**
 * Everything the receiver reports goes through here into the outbox (ARCHITECTURE §3 event types), one at a
 * time and in the order it happened. Play events also move the play's durable state in the PlanStore first,
 * then go to the outbox, then are marked reported (the order plan-store.ts documents): a crash between two
 * steps reports a state twice (harmless, the cloud keys plays by playId), never not at all.
 */
import { LIMITS, errorMessage } from "@loa/shared";
import type { Logger } from "pino";
import type { AmpMonitorEvent } from "./amp-monitor.js";
import type { Outbox, OutboxEventInput } from "./outbox.js";
import { playEventsOf, type PlanStore, type PlayEventInput, type PlayRecord } from "./plan-store.js";
import type { PlayerEvent } from "./player-types.js";

/** What the agent reports: player and amplifier events, and its own plan_applied / media_ready. */
export type AgentEvent =
  | PlayerEvent
  | AmpMonitorEvent
  | { type: "plan_applied"; version: number }
  | { type: "media_ready"; sha256: string };

type PlayEvent = Extract<PlayerEvent, { playId: string }>;

export interface ReporterDeps {
  plans: Pick<
    PlanStore,
    "markStarted" | "markFinished" | "markFailed" | "markMissed" | "markInterrupted" | "markReported" | "unreported"
  >;
  outbox: Pick<Outbox, "appendMany">;
  log: Logger;
  /** Called with each event once it is in the outbox (tests, logs). */
  onReported?: (event: OutboxEventInput) => void;
}

const CODE_RE = /^[a-z0-9_]{1,64}$/;

export class Reporter {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ReporterDeps) {}

  /** Queue `event`; the promise settles once it is handled (never rejects: failures are logged). */
  report(event: AgentEvent): Promise<void> {
    return this.enqueue(() => ("playId" in event ? this.play(event) : this.append([toInput(event)])));
  }

  /** Report what a crash left unreported: plays cut by a restart, states whose events never reached the outbox. */
  recover(): Promise<number> {
    return new Promise((resolve) => {
      void this.enqueue(async () => {
        const records = this.deps.plans.unreported();
        for (const rec of records) await this.reportRecord(rec, []);
        if (records.length > 0) this.deps.log.warn({ playIds: records.map((r) => r.playId) }, "reported plays left over from the last run");
        resolve(records.length);
      });
    });
  }

  /** Resolves once every event queued so far is handled. */
  idle(): Promise<void> {
    return this.enqueue(() => Promise.resolve());
  }

  private async play(e: PlayEvent): Promise<void> {
    const rec = await this.mark(e);
    if (!rec) {
      this.deps.log.warn({ type: e.type, playId: e.playId }, "play event not reported: the play already has a final state");
      return;
    }
    const late = e.type === "play_started" && e.late ? { late: true, ...(e.lateMs !== undefined ? { lateMs: Math.max(0, e.lateMs) } : {}) } : {};
    await this.reportRecord(rec, [late]);
  }

  private mark(e: PlayEvent): Promise<PlayRecord | null> {
    const { plans } = this.deps;
    switch (e.type) {
      case "play_started":
        return plans.markStarted(e.playId, { at: e.at, startedAt: e.startedAt });
      case "play_finished":
        return plans.markFinished(e.playId, { playedMs: e.playedMs });
      case "play_failed":
        return plans.markFailed(e.playId, { reason: e.reason });
      case "play_missed":
        return plans.markMissed(e.playId);
      case "play_interrupted":
        return plans.markInterrupted(e.playId, {
          playedMs: e.playedMs,
          ...(e.byPlayId !== undefined ? { byPlayId: e.byPlayId } : {}),
          ...(e.byCmdId !== undefined ? { byCmdId: e.byCmdId } : {}),
        });
    }
  }

  /** Outbox first, then the reported marker. `extra` adds fields to the play_started event (late, lateMs). */
  private async reportRecord(rec: PlayRecord, extra: Record<string, unknown>[]): Promise<void> {
    const events = playEventsOf(rec).map((ev: PlayEventInput) => (ev.type === "play_started" ? { ...ev, ...extra[0] } : ev));
    if (events.length > 0 && !(await this.append(events.map(clean)))) return;
    await this.deps.plans.markReported(rec.playId, rec.status).catch((err: unknown) => {
      this.deps.log.error({ playId: rec.playId, err: errorMessage(err) }, "play reported but not marked (it will be reported again)");
    });
  }

  private async append(events: OutboxEventInput[]): Promise<boolean> {
    try {
      await this.deps.outbox.appendMany(events);
      for (const e of events) this.deps.onReported?.(e);
      return true;
    } catch (err) {
      this.deps.log.error({ types: events.map((e) => e.type), err: errorMessage(err) }, "events not stored in the outbox");
      return false;
    }
  }

  private enqueue(fn: () => Promise<unknown>): Promise<void> {
    const run = this.chain.then(fn).then(
      () => undefined,
      (err: unknown) => this.deps.log.error({ err: errorMessage(err) }, "reporting failed"),
    );
    this.chain = run;
    return run;
  }
}

/** The outbox record of a non-play event, with texts bounded and codes snake_case as the schema wants. */
function toInput(e: Exclude<AgentEvent, PlayEvent>): OutboxEventInput {
  if (e.type === "amp_fault" || e.type === "amp_recovered") {
    const code = CODE_RE.test(e.code) ? e.code : "unknown";
    return e.type === "amp_fault" ? { type: e.type, code, detail: e.detail.slice(0, LIMITS.textMax) } : { type: e.type, code };
  }
  return { ...e };
}

function clean(e: PlayEventInput): OutboxEventInput {
  return typeof e.reason === "string" ? { ...e, reason: e.reason.slice(0, LIMITS.textMax) } : e;
}
