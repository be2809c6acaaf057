/**
 * Moving the plan window forward without a rebuild (ARCHITECTURE §3 "as the horizon rolls"). With the same
 * catalogue, the plans at a later `now` are the plans built at `prevNowMs` minus the plays that ended, plus
 * the occurrences that entered between the old horizon end and the new one. When none entered, pruning is
 * exact, and a roll costs a walk over the plays instead of a full build (a full build of 10,000 receivers
 * blocked the event loop 0.2–0.5 s once a minute; docs/performance.md, ingest).
 */
import { expandBroadcast } from "./expand.js";
import { DEFAULT_PLAN_HORIZON_H, type PlanBuildInput, type PlanBuildResult, type PlannedPlay } from "./plans.js";

/**
 * True when the plans built at `prevNowMs` from the same catalogue cannot be rolled to `input.nowMs` by
 * pruning alone: time went back, an occurrence entered the horizon, a `now` broadcast stamped ahead of the
 * clock moves with it, or a cap (LIMITS.planItems) may have hidden plays that pruning would let in.
 */
export function rollNeedsRebuild(input: PlanBuildInput, prevNowMs: number, built: Pick<PlanBuildResult, "truncated" | "capped">): boolean {
  if (input.nowMs < prevNowMs || built.truncated.length > 0 || built.capped.length > 0) return true;
  const horizonMs = (input.horizonH ?? DEFAULT_PLAN_HORIZON_H) * 3_600_000;
  const fromMs = prevNowMs + horizonMs;
  const toMs = input.nowMs + horizonMs;
  for (const b of input.broadcasts) {
    if (b.status !== "active") continue;
    // A `now` play sits at min(createdAt, now): it moves while its stamp is ahead of the clock.
    if ("now" in b.when && Date.parse(b.createdAt) > prevNowMs) return true;
    if (fromMs >= toMs) continue;
    try {
      if (expandBroadcast(b, { fromMs, toMs, nowMs: input.nowMs, limit: 1 }).length > 0) return true;
    } catch {
      // A broken cron was skipped by the build and stays skipped.
    }
  }
  return false;
}

/**
 * The plays still in each plan at `nowMs` (a play stays while `at + duration > now`, as in planPlays), and
 * the devices that lost one. Plans without an ended play keep their array (callers compare identity).
 */
export function prunePlans(byDevice: ReadonlyMap<string, PlannedPlay[]>, nowMs: number): { byDevice: Map<string, PlannedPlay[]>; changed: string[] } {
  const out = new Map<string, PlannedPlay[]>();
  const changed: string[] = [];
  for (const [deviceId, plays] of byDevice) {
    if (plays.every((p) => p.atMs + p.durationMs > nowMs)) {
      out.set(deviceId, plays);
      continue;
    }
    out.set(deviceId, plays.filter((p) => p.atMs + p.durationMs > nowMs));
    changed.push(deviceId);
  }
  return { byDevice: out, changed };
}
