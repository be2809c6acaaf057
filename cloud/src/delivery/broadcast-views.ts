/**
 * What the API shows about a broadcast (ARCHITECTURE §7 "with per-device play summary"): its next
 * occurrence, the per-device progress of its plays (counts by status, failures by reason) and the plays
 * it collides with on its devices (§2: "the panel shows the conflict for staff to order").
 */
import { PlayStatus, isoOf, type Broadcast, type BroadcastSummary, type BroadcastView, type ConflictView, type PlayStatusCounts } from "@loa/shared";
import type { AreaIndex } from "../core/areas.js";
import type { CatalogData } from "../ports/store.js";
import { expandBroadcast, findConflicts, planPlays, resolveTargets, type PlayConflict } from "../scheduling/index.js";
import type { PlayIndex } from "./play-index.js";

/** Conflicts are looked for this far ahead (a week: covers weekly programmes). */
export const CONFLICT_WINDOW_H = 7 * 24;
export const MAX_CONFLICTS = 200;

export function emptyCounts(): PlayStatusCounts {
  return Object.fromEntries(PlayStatus.options.map((s) => [s, 0])) as PlayStatusCounts;
}

export function summaryOf(b: Broadcast, plays: PlayIndex, devices: number): BroadcastSummary {
  const byStatus = emptyCounts();
  const reasons: Record<string, number> = {};
  const finished = new Set<string>();
  const records = plays.ofBroadcast(b.id);
  for (const r of records) {
    byStatus[r.status]++;
    if (r.status === "finished") finished.add(r.deviceId);
    if (r.status === "failed" || r.status === "missed" || r.status === "interrupted") {
      const why = r.reason ?? r.status;
      reasons[why] = (reasons[why] ?? 0) + 1;
    }
  }
  return { devices, plays: records.length, byStatus, reasons, devicesFinished: finished.size };
}

/** The next occurrence at or after now, or null (none left, not active, or a schedule that no longer reads). */
export function nextAtOf(b: Broadcast, nowMs: number): string | null {
  try {
    const [next] = expandBroadcast(b, { fromMs: nowMs, toMs: nowMs + 400 * 86_400_000, nowMs, limit: 1 });
    return next === undefined ? null : isoOf(next);
  } catch {
    return null;
  }
}

export function viewOf(b: Broadcast, data: Readonly<CatalogData>, areas: AreaIndex, plays: PlayIndex, nowMs: number): BroadcastView {
  const devices = resolveTargets(b.targets, areas, data.devices).length;
  const bulletin = data.bulletins.find((x) => x.id === b.bulletinId);
  return { ...b, bulletinTitle: bulletin?.title ?? null, nextAt: nextAtOf(b, nowMs), summary: summaryOf(b, plays, devices) };
}

/**
 * Collisions of `b`'s plays with other broadcasts on the devices it targets, over the coming week, in the
 * order the receivers will play them. `b` may not be stored yet (creation). At most MAX_CONFLICTS.
 */
export function conflictsOf(b: Broadcast, data: Readonly<CatalogData>, areas: AreaIndex, nowMs: number): ConflictView[] {
  if (b.status !== "active") return [];
  const targets = new Set(resolveTargets(b.targets, areas, data.devices));
  if (targets.size === 0) return [];
  const broadcasts = [...data.broadcasts.filter((x) => x.id !== b.id), b];
  const devices = data.devices.filter((d) => targets.has(d.id));
  const built = planPlays({ broadcasts, bulletins: data.bulletins, areas: data.areas, devices, nowMs, horizonH: CONFLICT_WINDOW_H });
  const mine = findConflicts(built.byDevice).filter((c) => c.first.broadcastId === b.id || c.second.broadcastId === b.id);
  return mine.slice(0, MAX_CONFLICTS).map(conflictView);
}

function conflictView(c: PlayConflict): ConflictView {
  const side = (s: PlayConflict["first"]) => ({ playId: s.playId, broadcastId: s.broadcastId, priority: s.priority, at: s.at, endsAt: s.endsAt });
  return { deviceId: c.deviceId, first: side(c.first), second: side(c.second), overlapMs: c.overlapMs, rule: c.rule };
}
