/**
 * The in-memory index of plays (ARCHITECTURE §2 Play, §8 "in-memory indexes for what the panel queries"):
 * one record per (device, playId), looked up by device and by broadcast. Pure: PlayBook journals every
 * change and rebuilds this index from the journal on start.
 *
 * Status order (never backwards): planned → delivered → ready → started → finished | failed | missed |
 * interrupted. A terminal status the cloud inferred (the sweep: no report came) is provisional: a device's
 * own report replaces it, since a device plays from its plan while offline and reports when it is back.
 */
import { isoOf, type PlayStatus } from "@loa/shared";
import type { PlayView } from "@loa/shared";

export interface PlayRecord {
  playId: string;
  broadcastId: string;
  deviceId: string;
  /** The device's area when the play was planned (or first reported). */
  areaId: string;
  atMs: number;
  durationMs: number;
  sha256?: string;
  status: PlayStatus;
  reason?: string;
  startedAt?: string;
  finishedAt?: string;
  playedMs?: number;
  /** Plan version in which the play first reached the device: a plan_applied at or above it delivers it. */
  plannedVersion?: number;
  /** Set by the sweep (no report came); any device report replaces it. */
  inferred?: boolean;
}

export const STATUS_RANK: Readonly<Record<PlayStatus, number>> = {
  planned: 0,
  delivered: 1,
  ready: 2,
  started: 3,
  finished: 4,
  failed: 4,
  missed: 4,
  interrupted: 4,
};

export const TERMINAL: ReadonlySet<PlayStatus> = new Set(["finished", "failed", "missed", "interrupted"]);
/** Statuses before the device said anything about playing. */
export const OPEN: ReadonlySet<PlayStatus> = new Set(["planned", "delivered", "ready"]);

export function keyOf(deviceId: string, playId: string): string {
  return `${deviceId}|${playId}`;
}

/** May `to` replace `from`? Forward only; a provisional (inferred) outcome yields to a device report. */
export function canMove(from: PlayRecord, to: PlayStatus, byDevice: boolean): boolean {
  if (from.inferred && byDevice) return STATUS_RANK[to] >= STATUS_RANK.started;
  return STATUS_RANK[to] > STATUS_RANK[from.status];
}

export function viewOf(r: PlayRecord): PlayView {
  const v: PlayView = { playId: r.playId, broadcastId: r.broadcastId, deviceId: r.deviceId, at: isoOf(r.atMs), status: r.status, areaId: r.areaId, durationMs: r.durationMs };
  if (r.reason !== undefined) v.reason = r.reason;
  if (r.startedAt !== undefined) v.startedAt = r.startedAt;
  if (r.finishedAt !== undefined) v.finishedAt = r.finishedAt;
  if (r.playedMs !== undefined) v.playedMs = r.playedMs;
  return v;
}

/** Newest first: `at` descending, then device, then playId (a total order, so cursors are stable). */
export function compareNewestFirst(a: PlayRecord, b: PlayRecord): number {
  if (a.atMs !== b.atMs) return b.atMs - a.atMs;
  if (a.deviceId !== b.deviceId) return a.deviceId < b.deviceId ? -1 : 1;
  return a.playId < b.playId ? -1 : a.playId > b.playId ? 1 : 0;
}

export class PlayIndex {
  private readonly records = new Map<string, PlayRecord>();
  private readonly byDevice = new Map<string, Set<string>>();
  private readonly byBroadcast = new Map<string, Set<string>>();
  /** Keys of records not yet in a terminal status (what the sweep looks at). */
  private readonly live = new Set<string>();
  private readonly counts = new Map<PlayStatus, number>();

  get size(): number {
    return this.records.size;
  }

  get(deviceId: string, playId: string): PlayRecord | undefined {
    return this.records.get(keyOf(deviceId, playId));
  }

  /** Insert or replace a record (a copy is kept). */
  set(record: PlayRecord): void {
    const key = keyOf(record.deviceId, record.playId);
    const before = this.records.get(key);
    if (before) this.count(before.status, -1);
    this.count(record.status, 1);
    this.records.set(key, { ...record });
    if (TERMINAL.has(record.status)) this.live.delete(key);
    else this.live.add(key);
    addTo(this.byDevice, record.deviceId, key);
    addTo(this.byBroadcast, record.broadcastId, key);
  }

  delete(deviceId: string, playId: string): PlayRecord | undefined {
    const key = keyOf(deviceId, playId);
    const r = this.records.get(key);
    if (!r) return undefined;
    this.count(r.status, -1);
    this.records.delete(key);
    this.live.delete(key);
    removeFrom(this.byDevice, r.deviceId, key);
    removeFrom(this.byBroadcast, r.broadcastId, key);
    return r;
  }

  ofDevice(deviceId: string): PlayRecord[] {
    return this.pick(this.byDevice.get(deviceId));
  }

  ofBroadcast(broadcastId: string): PlayRecord[] {
    return this.pick(this.byBroadcast.get(broadcastId));
  }

  all(): IterableIterator<PlayRecord> {
    return this.records.values();
  }

  /** How many records are in each status (kept up to date, for metrics). */
  countByStatus(): Partial<Record<PlayStatus, number>> {
    return Object.fromEntries(this.counts);
  }

  private count(status: PlayStatus, delta: number): void {
    this.counts.set(status, (this.counts.get(status) ?? 0) + delta);
  }

  /** Records not in a terminal status yet. */
  unfinished(): PlayRecord[] {
    return this.pick(this.live);
  }

  /** Records matching `filter`, newest first, or the whole index without one. */
  select(filter: { broadcastId?: string; deviceId?: string }, keep: (r: PlayRecord) => boolean): PlayRecord[] {
    let base: Iterable<PlayRecord>;
    if (filter.broadcastId !== undefined) base = this.ofBroadcast(filter.broadcastId);
    else if (filter.deviceId !== undefined) base = this.ofDevice(filter.deviceId);
    else base = this.records.values();
    const out: PlayRecord[] = [];
    for (const r of base) if ((filter.deviceId === undefined || r.deviceId === filter.deviceId) && keep(r)) out.push(r);
    return out.sort(compareNewestFirst);
  }

  private pick(keys: ReadonlySet<string> | undefined): PlayRecord[] {
    const out: PlayRecord[] = [];
    for (const k of keys ?? []) {
      const r = this.records.get(k);
      if (r) out.push(r);
    }
    return out;
  }
}

function addTo(map: Map<string, Set<string>>, id: string, key: string): void {
  let set = map.get(id);
  if (!set) {
    set = new Set();
    map.set(id, set);
  }
  set.add(key);
}

function removeFrom(map: Map<string, Set<string>>, id: string, key: string): void {
  const set = map.get(id);
  if (!set) return;
  set.delete(key);
  if (set.size === 0) map.delete(id);
}
