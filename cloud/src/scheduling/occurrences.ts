/**
 * The UTC instants at which a cron expression fires in an IANA zone (ARCHITECTURE §2 `when: {cron, tz,
 * from?, until?}`). Walks local days and, on matching days only, the listed hours × minutes × seconds, so
 * the cost is days + occurrences, never one step per second. DST: see zone.ts (nonexistent wall times are
 * skipped, ambiguous ones fire once, at the first instant).
 */
import { parseCron, type CronSpec } from "./cron-parse.js";
import { matchesDay } from "./cron-days.js";
import { InvalidTimeError } from "./errors.js";
import { addDays, assertTimeZone, dayZone, localParts } from "./zone.js";

export interface OccurrenceBounds {
  /** The broadcast's own start (inclusive): ISO text or epoch ms. */
  from?: string | number | undefined;
  /** The broadcast's own end (exclusive): ISO text or epoch ms. */
  until?: string | number | undefined;
  /** Stop after this many instants (the earliest ones). */
  limit?: number | undefined;
}

/** Epoch ms of an ISO string or a number; throws `InvalidTimeError` (code `invalid_time`) on bad text. */
export function toEpochMs(what: string, v: string | number): number {
  if (typeof v === "number") return v;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new InvalidTimeError(what, v);
  return ms;
}

/**
 * Instants in `[max(fromMs, from), min(toMs, until))`, ascending. Throws `CronError` (`invalid_cron`) and
 * `InvalidTimeZoneError` (`invalid_tz`).
 */
export function occurrences(
  cron: string | CronSpec,
  tz: string,
  fromMs: number,
  toMs: number,
  bounds: OccurrenceBounds = {},
): number[] {
  const spec = typeof cron === "string" ? parseCron(cron) : cron;
  assertTimeZone(tz);
  const lo = Math.max(fromMs, bounds.from === undefined ? -Infinity : toEpochMs("from", bounds.from));
  const hi = Math.min(toMs, bounds.until === undefined ? Infinity : toEpochMs("until", bounds.until));
  const limit = bounds.limit ?? Infinity;
  if (!(lo < hi) || !Number.isFinite(lo) || !Number.isFinite(hi) || limit <= 0) return [];
  const out: number[] = [];
  // One spare day on each side: a zone that falls back across midnight can map an instant to the day before.
  let day = addDays(localParts(tz, lo), -1);
  const last = addDays(localParts(tz, hi - 1), 1);
  for (;;) {
    if (matchesDay(spec, day.year, day.month, day.day)) collectDay(spec, tz, day, lo, hi, out);
    if (out.length >= limit) break;
    if (day.year === last.year && day.month === last.month && day.day === last.day) break;
    day = addDays(day, 1);
  }
  out.sort((a, b) => a - b);
  return out.length > limit ? out.slice(0, limit) : out;
}

function collectDay(
  spec: CronSpec,
  tz: string,
  d: { year: number; month: number; day: number },
  lo: number,
  hi: number,
  out: number[],
): void {
  const toInstant = dayZone(tz, d.year, d.month, d.day);
  for (const h of spec.hours) {
    for (const m of spec.minutes) {
      for (const s of spec.seconds) {
        const t = toInstant(h * 3600 + m * 60 + s);
        if (t !== undefined && t >= lo && t < hi) out.push(t);
      }
    }
  }
}

/** The first instant at or after `fromMs` (searching up to `maxDays` ahead), or undefined. */
export function nextOccurrence(cron: string | CronSpec, tz: string, fromMs: number, maxDays = 366 * 5): number | undefined {
  return occurrences(cron, tz, fromMs, fromMs + maxDays * 86_400_000, { limit: 1 })[0];
}
