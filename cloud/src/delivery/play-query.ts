/**
 * Reading the play index for the API (ARCHITECTURE §7 `/api/v1/plays`, reports): filters, time ranges given
 * as calendar days or instants, and opaque cursors over the newest-first order.
 */
import type { PlayStatus } from "@loa/shared";
import { decodeCursorKey, encodeCursorKey } from "../core/cursor.js";
import { addDays, dayZone } from "../scheduling/zone.js";
import { compareNewestFirst, type PlayIndex, type PlayRecord } from "./play-index.js";

export interface PlayFilter {
  broadcastId?: string;
  deviceId?: string;
  /** Only plays whose area is in this set (the caller's scope, narrowed by an `areaId` filter). */
  areaIds?: ReadonlySet<string>;
  status?: PlayStatus;
  /** `at` in `[fromMs, toMs)`. */
  fromMs?: number;
  toMs?: number;
}

export function selectPlays(index: PlayIndex, f: PlayFilter): PlayRecord[] {
  const pick: { broadcastId?: string; deviceId?: string } = {};
  if (f.broadcastId !== undefined) pick.broadcastId = f.broadcastId;
  if (f.deviceId !== undefined) pick.deviceId = f.deviceId;
  return index.select(pick, (r) =>
    (f.broadcastId === undefined || r.broadcastId === f.broadcastId) &&
    (f.areaIds === undefined || f.areaIds.has(r.areaId)) &&
    (f.status === undefined || r.status === f.status) &&
    (f.fromMs === undefined || r.atMs >= f.fromMs) &&
    (f.toMs === undefined || r.atMs < f.toMs),
  );
}

/**
 * A `from`/`to` bound: an ISO instant as is, or a calendar day (`2026-11-27`) in `tz` — its start for
 * `from`, the start of the next day for `to` (so `to` names the last day included).
 */
export function boundOf(value: string, tz: string, edge: "from" | "to"): number {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!day) return Date.parse(value);
  let d = { year: Number(day[1]), month: Number(day[2]), day: Number(day[3]) };
  if (edge === "to") d = addDays(d, 1);
  const at = dayZone(tz, d.year, d.month, d.day);
  // A zone whose midnight does not exist on that day (rare DST rules) starts the day at 01:00.
  return at(0) ?? at(3600) ?? Date.UTC(d.year, d.month - 1, d.day);
}

type CursorKey = [atMs: number, deviceId: string, playId: string];

const isPlayKey = (v: unknown): v is CursorKey =>
  Array.isArray(v) && v.length === 3 && typeof v[0] === "number" && typeof v[1] === "string" && typeof v[2] === "string";

export function encodeCursor(r: PlayRecord): string {
  return encodeCursorKey([r.atMs, r.deviceId, r.playId] satisfies CursorKey);
}

export function decodeCursor(cursor: string): CursorKey {
  return decodeCursorKey(cursor, isPlayKey);
}

/** One page of `sorted` (newest first) after `cursor`. */
export function pageOf(sorted: readonly PlayRecord[], cursor: string | undefined, limit: number): { items: PlayRecord[]; nextCursor: string | null } {
  let start = 0;
  if (cursor !== undefined) {
    const [atMs, deviceId, playId] = decodeCursor(cursor);
    const probe = { atMs, deviceId, playId } as PlayRecord;
    start = sorted.findIndex((r) => compareNewestFirst(r, probe) > 0);
    if (start < 0) start = sorted.length;
  }
  const items = sorted.slice(start, start + limit);
  const last = items[items.length - 1];
  const more = start + limit < sorted.length;
  return { items, nextCursor: more && last ? encodeCursor(last) : null };
}
