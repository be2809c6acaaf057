/**
 * A broadcast's occurrence instants inside a window (ARCHITECTURE §2 Broadcast.when, §3 "Plan, not
 * push-at-time"). Only `active` broadcasts have occurrences.
 */
import { DEFAULT_TZ, type Broadcast } from "@loa/shared";
import { occurrences, toEpochMs } from "./occurrences.js";

export interface ExpandWindow {
  /** Window start, inclusive. */
  fromMs: number;
  /** Window end, exclusive. */
  toMs: number;
  /** The present; a `now` broadcast stamped later than this (a clock ahead) is placed at `nowMs`. */
  nowMs?: number;
  /** At most this many instants (the earliest). */
  limit?: number;
}

export type ExpandableBroadcast = Pick<Broadcast, "when" | "status" | "createdAt">;

/**
 * - `now`: the creation instant (one), if it falls in the window;
 * - `at`: that instant, if it falls in the window;
 * - cron: occurrences in `[max(fromMs, from, createdAt), min(toMs, until))` — never before the broadcast
 *   existed, so a play does not appear "in progress" the moment a recurring broadcast is created.
 * Paused, cancelled and done broadcasts have none. Throws `CronError` / `InvalidTimeZoneError` for a bad cron.
 */
export function expandBroadcast(broadcast: ExpandableBroadcast, window: ExpandWindow): number[] {
  if (broadcast.status !== "active") return [];
  const { fromMs, toMs } = window;
  const inWindow = (t: number): number[] => (t >= fromMs && t < toMs && (window.limit ?? 1) > 0 ? [t] : []);
  const when = broadcast.when;
  const createdMs = toEpochMs("createdAt", broadcast.createdAt);
  if ("now" in when) return inWindow(window.nowMs === undefined ? createdMs : Math.min(createdMs, window.nowMs));
  if ("at" in when) return inWindow(toEpochMs("at", when.at));
  const from = when.from === undefined ? createdMs : Math.max(createdMs, toEpochMs("from", when.from));
  return occurrences(when.cron, when.tz ?? DEFAULT_TZ, fromMs, toMs, {
    from,
    until: when.until,
    limit: window.limit,
  });
}
