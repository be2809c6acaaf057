/**
 * Recent telemetry per receiver for the device page's charts (ARCHITECTURE §3 telemetry, §7
 * `GET /api/v1/devices/:id/telemetry`, §8 "telemetry samples go to the journal, with in-memory indexes").
 *
 * Each live sample goes into a per-device ring (the newest `capacity` samples in typed arrays, grown as
 * samples come: 17 kB a device when full, so 5,000 receivers × 720 samples stay under 90 MB) and, at most
 * once per `journalEveryMs` per device, into the telemetry journal (its own hourly files, kept a little
 * longer than `windowMs`: adapters/store/open-store.ts) as a small `telemetry` entry. On start `rebuild()`
 * refills the rings from that journal's entries of the last `windowMs`, so a restart keeps the charts at
 * the journal's coarser spacing; the spacing keeps that replay to a few hundred thousand lines.
 */
import { DEVICE_TELEMETRY_MAX, type Clock, type TelemetryPayload } from "@loa/shared";
import type { Logger } from "pino";
import type { Journal, JournalEntry } from "../ports/store.js";

/** The values the charts draw, in the order they sit in a ring's row. */
export const TELEMETRY_FIELDS = ["ampTempC", "volume", "cpuTempC", "clockOffsetMs"] as const;
export type TelemetryField = (typeof TELEMETRY_FIELDS)[number];

/** One sample: `at` is the cloud's receive time (epoch ms); null = not reported. */
export type TelemetryPoint = { at: number } & Record<TelemetryField, number | null>;

const WIDTH = TELEMETRY_FIELDS.length;
export const TELEMETRY_WINDOW_MS = 6 * 3600_000;
export const TELEMETRY_JOURNAL_EVERY_MS = 5 * 60_000;

/** The charted values of a telemetry payload. */
export function pointOf(at: number, t: TelemetryPayload): TelemetryPoint {
  return { at, ampTempC: t.amp.temperatureC ?? null, volume: t.amp.volume ?? null, cpuTempC: t.cpuTempC ?? null, clockOffsetMs: t.clockOffsetMs ?? null };
}

/** Rows a ring starts with; it doubles up to its capacity as samples come. */
export const TELEMETRY_RING_INITIAL = 8;

/**
 * The newest `capacity` samples of one device, oldest first; values kept as float32 (about 7 digits). The
 * arrays start small and grow by doubling: a burst of first telemetry from 10,000 receivers would otherwise
 * allocate 17 kB each at once (docs/performance.md, ingest), and a receiver seen for an hour needs 120 rows.
 */
export class TelemetryRing {
  private at: Float64Array;
  private values: Float32Array;
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    const rows = Math.min(capacity, TELEMETRY_RING_INITIAL);
    this.at = new Float64Array(rows);
    this.values = new Float32Array(rows * WIDTH);
  }

  get length(): number {
    return this.count;
  }

  /** Rows allocated now (≤ capacity); for tests. */
  get allocated(): number {
    return this.at.length;
  }

  /** Append; the oldest sample goes when full. */
  push(p: TelemetryPoint): void {
    if (this.count === this.at.length && this.count < this.capacity) this.grow();
    const rows = this.at.length;
    const slot = (this.start + this.count) % rows;
    if (this.count === rows) this.start = (this.start + 1) % rows;
    else this.count++;
    this.at[slot] = p.at;
    TELEMETRY_FIELDS.forEach((f, k) => {
      this.values[slot * WIDTH + k] = p[f] ?? Number.NaN;
    });
  }

  /** Double the rows (up to capacity), the samples copied oldest first from row 0. */
  private grow(): void {
    const rows = Math.min(this.capacity, this.at.length * 2);
    const at = new Float64Array(rows);
    const values = new Float32Array(rows * WIDTH);
    for (let i = 0; i < this.count; i++) {
      const from = (this.start + i) % this.at.length;
      at[i] = this.at[from] ?? 0;
      values.set(this.values.subarray(from * WIDTH, (from + 1) * WIDTH), i * WIDTH);
    }
    this.at = at;
    this.values = values;
    this.start = 0;
  }

  /** The newest `limit` samples received at or after `sinceMs`, oldest first. */
  points(sinceMs: number, limit: number): TelemetryPoint[] {
    const out: TelemetryPoint[] = [];
    for (let i = this.count - 1; i >= 0 && out.length < limit; i--) {
      const slot = (this.start + i) % this.at.length;
      const at = this.at[slot] ?? 0;
      if (at < sinceMs) continue;
      out.push(this.row(slot, at));
    }
    return out.reverse();
  }

  private row(slot: number, at: number): TelemetryPoint {
    const p: TelemetryPoint = { at, ampTempC: null, volume: null, cpuTempC: null, clockOffsetMs: null };
    TELEMETRY_FIELDS.forEach((f, k) => {
      const v = this.values[slot * WIDTH + k] ?? Number.NaN;
      // Float32 → the decimal the device sent (45.3, not 45.29999923706055).
      p[f] = Number.isNaN(v) ? null : Number(v.toPrecision(7));
    });
    return p;
  }
}

export interface TelemetryHistoryDeps {
  journal: Journal;
  clock: Clock;
  log: Logger;
  /** Only provisioned devices keep history (a deleted device's journal entries are not reloaded). */
  known?: (deviceId: string) => boolean;
  /** Samples kept per device; default DEVICE_TELEMETRY_MAX (720). */
  capacity?: number;
  /** How far back `rebuild` and the default query look; default 6 h. */
  windowMs?: number;
  /** Least time between two journaled samples of one device; default 5 min. */
  journalEveryMs?: number;
}

export interface RecentQuery {
  /** Default: now − windowMs. */
  sinceMs?: number;
  /** Default and maximum: the capacity. */
  limit?: number;
}

/** What the route reads. */
export interface TelemetryReader {
  recent(deviceId: string, q?: RecentQuery): TelemetryPoint[];
}

export class TelemetryHistory implements TelemetryReader {
  private readonly rings = new Map<string, TelemetryRing>();
  private readonly journaledAt = new Map<string, number>();
  private readonly capacity: number;
  private readonly windowMs: number;
  private readonly journalEveryMs: number;
  /** Live samples that arrive while the journal is being replayed, appended after it (order kept). */
  private pending: Array<[string, TelemetryPoint]> | undefined;

  constructor(private readonly deps: TelemetryHistoryDeps) {
    this.capacity = Math.max(1, deps.capacity ?? DEVICE_TELEMETRY_MAX);
    this.windowMs = deps.windowMs ?? TELEMETRY_WINDOW_MS;
    this.journalEveryMs = deps.journalEveryMs ?? TELEMETRY_JOURNAL_EVERY_MS;
  }

  /** Devices with at least one sample. */
  get devices(): number {
    return this.rings.size;
  }

  /** A live telemetry message (not a retained copy). */
  onTelemetry(deviceId: string, t: TelemetryPayload, receivedAt: number = this.deps.clock.now()): void {
    if (this.deps.known && !this.deps.known(deviceId)) return;
    const p = pointOf(receivedAt, t);
    if (this.pending) this.pending.push([deviceId, p]);
    else this.add(deviceId, p);
    const last = this.journaledAt.get(deviceId);
    if (last !== undefined && receivedAt - last < this.journalEveryMs) return;
    this.journaledAt.set(deviceId, receivedAt);
    this.deps.journal.append(entryOf(deviceId, p)).catch((err: unknown) => {
      this.deps.log.warn({ deviceId, err: String(err) }, "telemetry sample not journaled");
    });
  }

  /** Refill the rings from the journal's samples of the last `windowMs`; returns how many were loaded. */
  async rebuild(): Promise<number> {
    this.pending = [];
    const now = this.deps.clock.now();
    const from = now - this.windowMs;
    let loaded = 0;
    try {
      await this.deps.journal.replay((e) => {
        // A sample journaled during the replay is in `pending` already.
        const s = e.kind === "telemetry" && e.ts >= from && e.ts < now ? sampleOf(e) : undefined;
        if (!s || (this.deps.known && !this.deps.known(s.deviceId))) return;
        this.add(s.deviceId, s.point);
        this.journaledAt.set(s.deviceId, s.point.at);
        loaded++;
      });
    } finally {
      const live = this.pending;
      this.pending = undefined;
      for (const [id, p] of live) this.add(id, p);
    }
    this.deps.log.info({ samples: loaded, devices: this.rings.size }, "telemetry history rebuilt from the journal");
    return loaded;
  }

  recent(deviceId: string, q: RecentQuery = {}): TelemetryPoint[] {
    const ring = this.rings.get(deviceId);
    if (!ring) return [];
    const limit = Math.min(q.limit ?? this.capacity, this.capacity);
    return ring.points(q.sinceMs ?? this.deps.clock.now() - this.windowMs, limit);
  }

  /** Drop a deleted device's samples. */
  forget(deviceId: string): void {
    this.rings.delete(deviceId);
    this.journaledAt.delete(deviceId);
  }

  private add(deviceId: string, p: TelemetryPoint): void {
    let ring = this.rings.get(deviceId);
    if (!ring) this.rings.set(deviceId, (ring = new TelemetryRing(this.capacity)));
    ring.push(p);
  }
}

/** The journal line: `{kind:"telemetry", ts, deviceId, ampTempC?, volume?, cpuTempC?, clockOffsetMs?}`. */
function entryOf(deviceId: string, p: TelemetryPoint): JournalEntry {
  const entry: JournalEntry = { kind: "telemetry", ts: p.at, deviceId };
  for (const f of TELEMETRY_FIELDS) if (p[f] !== null) entry[f] = p[f];
  return entry;
}

function sampleOf(e: JournalEntry): { deviceId: string; point: TelemetryPoint } | undefined {
  if (typeof e.deviceId !== "string") return undefined;
  const point: TelemetryPoint = { at: e.ts, ampTempC: null, volume: null, cpuTempC: null, clockOffsetMs: null };
  for (const f of TELEMETRY_FIELDS) {
    const v = e[f];
    if (typeof v === "number" && Number.isFinite(v)) point[f] = v;
  }
  return { deviceId: e.deviceId, point };
}
