/**
 * Collisions on one receiver (ARCHITECTURE §2: "where two collide on a device the panel shows the conflict
 * for staff to order"): two plays whose `[at, at + durationMs)` overlap. Which goes first:
 *   1. emergency always (it pre-empts);  2. priority before normal;
 *   3. same level: staff's `order`, lower first; a broadcast with an order goes before one without;
 *   4. then the broadcast created first;  5. then the earlier play, then the broadcast id (deterministic).
 */
import { isoOf, type Priority } from "@loa/shared";
import { PRIORITY_RANK, type PlannedPlay } from "./plans.js";

export type ConflictRule = "emergency" | "priority" | "order" | "createdAt" | "tiebreak";

export interface ConflictSide {
  playId: string;
  broadcastId: string;
  priority: Priority;
  at: string;
  endsAt: string;
  atMs: number;
  endsAtMs: number;
}

export interface PlayConflict {
  deviceId: string;
  /** The play that goes first by the rules above. */
  first: ConflictSide;
  second: ConflictSide;
  /** Length of the overlap. */
  overlapMs: number;
  /** The rule that decided the order. */
  rule: ConflictRule;
}

type ConflictPlay = Pick<PlannedPlay, "playId" | "broadcastId" | "deviceId" | "atMs" | "durationMs" | "priority" | "order" | "createdAtMs">;

/** Every overlapping pair, per device, sorted by device then the earlier start. */
export function findConflicts(
  plans: ReadonlyMap<string, readonly ConflictPlay[]> | readonly ConflictPlay[],
): PlayConflict[] {
  const byDevice = plans instanceof Map ? plans : groupByDevice(plans as readonly ConflictPlay[]);
  const out: PlayConflict[] = [];
  for (const [deviceId, plays] of byDevice) {
    const sorted = [...plays].sort((a, b) => a.atMs - b.atMs || (a.playId < b.playId ? -1 : 1));
    let open: ConflictPlay[] = [];
    for (const p of sorted) {
      open = open.filter((o) => o.atMs + o.durationMs > p.atMs);
      for (const o of open) out.push(conflictOf(deviceId, o, p));
      open.push(p);
    }
  }
  return out;
}

/** Negative when `a` goes before `b`, with the rule that decided. */
export function comparePrecedence(a: ConflictPlay, b: ConflictPlay): { cmp: number; rule: ConflictRule } {
  const ra = PRIORITY_RANK[a.priority];
  const rb = PRIORITY_RANK[b.priority];
  if (ra !== rb) return { cmp: ra - rb, rule: ra === 0 || rb === 0 ? "emergency" : "priority" };
  const oa = a.order ?? Infinity;
  const ob = b.order ?? Infinity;
  if (oa !== ob) return { cmp: oa < ob ? -1 : 1, rule: "order" };
  if (a.createdAtMs !== b.createdAtMs) return { cmp: a.createdAtMs - b.createdAtMs, rule: "createdAt" };
  const tie = a.atMs - b.atMs || (a.broadcastId < b.broadcastId ? -1 : a.broadcastId > b.broadcastId ? 1 : 0);
  return { cmp: tie || (a.playId < b.playId ? -1 : 1), rule: "tiebreak" };
}

function conflictOf(deviceId: string, x: ConflictPlay, y: ConflictPlay): PlayConflict {
  const { cmp, rule } = comparePrecedence(x, y);
  const [first, second] = cmp <= 0 ? [x, y] : [y, x];
  const overlapMs = Math.min(x.atMs + x.durationMs, y.atMs + y.durationMs) - Math.max(x.atMs, y.atMs);
  return { deviceId, first: side(first), second: side(second), overlapMs, rule };
}

function side(p: ConflictPlay): ConflictSide {
  const endsAtMs = p.atMs + p.durationMs;
  return {
    playId: p.playId,
    broadcastId: p.broadcastId,
    priority: p.priority,
    at: isoOf(p.atMs),
    endsAt: isoOf(endsAtMs),
    atMs: p.atMs,
    endsAtMs,
  };
}

function groupByDevice(plays: readonly ConflictPlay[]): Map<string, ConflictPlay[]> {
  const out = new Map<string, ConflictPlay[]>();
  for (const p of plays) {
    const list = out.get(p.deviceId) ?? [];
    list.push(p);
    out.set(p.deviceId, list);
  }
  return out;
}
