/**
 * Delivery's periodic work (ARCHITECTURE §3 "as the horizon rolls"; §2 statuses; §8 in-memory indexes):
 * - roll: move every plan with time (a prune of ended plays when nothing else changed, see PlanService);
 *   only devices whose plan content changed get one. Also
 *   marks `now`/`at` broadcasts (and crons past their `until`) `done` once their last play is over;
 * - sweep: plays whose time passed without a report (PlayBook.sweep);
 * - retain: drop old plays from memory.
 * The functions are plain and take time from the Clock, so tests call them with a FakeClock; node-cron
 * only decides when they run in production.
 */
import cron, { type ScheduledTask } from "node-cron";
import { errorMessage, type Broadcast, type Clock } from "@loa/shared";
import type { Logger } from "pino";
import type { Catalog } from "../ports/store.js";
import type { PlayBook, SweepOptions } from "./play-book.js";

export interface JobSchedule {
  /** Default every minute. */
  roll: string;
  /** Default every 30 seconds. */
  sweep: string;
  /** Default daily at 03:17 (server zone). */
  retain: string;
}

export const DEFAULT_JOB_SCHEDULE: JobSchedule = { roll: "15 * * * * *", sweep: "*/30 * * * * *", retain: "0 17 3 * * *" };

/** Broadcasts whose last play ended before now: their status becomes `done` (ids returned). */
export async function finishBroadcasts(catalog: Pick<Catalog, "data" | "update">, nowMs: number, graceMs: number): Promise<string[]> {
  const data = catalog.data();
  const duration = new Map(data.bulletins.map((b) => [b.id, b.durationMs]));
  const over = (b: Broadcast): boolean => {
    if (b.status !== "active") return false;
    const len = duration.get(b.bulletinId) ?? 0;
    const w = b.when;
    const last = "now" in w ? Date.parse(b.createdAt) : "at" in w ? Date.parse(w.at) : w.until !== undefined ? Date.parse(w.until) : undefined;
    return last !== undefined && last + len + graceMs < nowMs;
  };
  const ids = data.broadcasts.filter(over).map((b) => b.id);
  if (ids.length === 0) return [];
  const done = new Set(ids);
  await catalog.update((d) => {
    for (const b of d.broadcasts) if (done.has(b.id) && b.status === "active") b.status = "done";
  });
  return ids;
}

export interface DeliveryJobDeps {
  catalog: Pick<Catalog, "data" | "update">;
  book: PlayBook;
  clock: Clock;
  log: Logger;
  replan: (reason: string) => Promise<unknown>;
  sweep: SweepOptions;
  /** Wait after a broadcast's last play before it is `done`. */
  doneGraceMs: number;
}

/** The three jobs as functions (await them in tests). */
export function deliveryJobs(deps: DeliveryJobDeps) {
  return {
    roll: async (): Promise<void> => {
      const done = await finishBroadcasts(deps.catalog, deps.clock.now(), deps.doneGraceMs);
      if (done.length > 0) deps.log.info({ broadcasts: done }, "broadcasts done");
      await deps.replan(done.length > 0 ? "horizon roll; broadcasts done" : "horizon roll");
    },
    sweep: async (): Promise<number> => {
      const step = deps.book.sweep(deps.clock.now(), deps.sweep);
      await deps.book.commit(step);
      if (step.changes.length > 0) deps.log.info({ plays: step.changes.length }, "overdue plays swept");
      return step.changes.length;
    },
    retain: (): number => {
      const n = deps.book.retain(deps.clock.now());
      if (n > 0) deps.log.info({ plays: n }, "old plays dropped from memory");
      return n;
    },
  };
}

export type DeliveryJobs = ReturnType<typeof deliveryJobs>;

/** Run the jobs on node-cron; returns the function that stops them. */
export function scheduleJobs(jobs: DeliveryJobs, schedule: JobSchedule, log: Logger, timezone?: string): () => Promise<void> {
  const run = (name: string, fn: () => unknown) => async (): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      log.error({ job: name, err: errorMessage(err) }, "delivery job failed");
    }
  };
  const opts = (name: string) => ({ name: `delivery.${name}`, noOverlap: true, ...(timezone ? { timezone } : {}) });
  const tasks: ScheduledTask[] = [
    cron.schedule(schedule.roll, run("roll", jobs.roll), opts("roll")),
    cron.schedule(schedule.sweep, run("sweep", jobs.sweep), opts("sweep")),
    cron.schedule(schedule.retain, run("retain", jobs.retain), opts("retain")),
  ];
  return async () => {
    for (const t of tasks) await t.destroy();
  };
}
