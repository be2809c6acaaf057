/**
 * Wall-clock time in an IANA zone through Intl.DateTimeFormat only (no tz library). ARCHITECTURE §2:
 * times are stored in UTC with an IANA zone, default Asia/Ho_Chi_Minh.
 *
 * Local → UTC is resolved one local day at a time (`dayZone`): the zone's offset is looked up a day before
 * and two days after; equal offsets mean no transition that day and every wall time maps by one subtraction.
 * Otherwise the transition instant is found by bisection and each wall time checks both candidate offsets:
 * - a wall time that does not exist (spring forward, 02:30 in Europe/Berlin on the last Sunday of March) has
 *   no valid candidate and is skipped;
 * - an ambiguous one (fall back, 02:30 on the last Sunday of October) has two; the first (earlier) is taken.
 * Assumption: a zone changes offset at most once in any three days (true of every zone in use).
 */
import { InvalidTimeZoneError } from "./errors.js";

const DAY_MS = 86_400_000;

export interface LocalParts {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat("en-US", {
        timeZone: tz,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
    } catch {
      throw new InvalidTimeZoneError(tz);
    }
    formatters.set(tz, f);
  }
  return f;
}

/** True for a zone name Intl knows. Offsets like "+07:00" are refused: zones are IANA names (ARCHITECTURE §2). */
export function isValidTimeZone(tz: string): boolean {
  if (!/^[A-Za-z]/.test(tz)) return false;
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** Throws `InvalidTimeZoneError` (code `invalid_tz`) unless `tz` is a known IANA zone. */
export function assertTimeZone(tz: string): void {
  if (!isValidTimeZone(tz)) throw new InvalidTimeZoneError(tz);
}

/** The wall-clock reading of instant `ms` in zone `tz` (seconds precision). */
export function localParts(tz: string, ms: number): LocalParts {
  const out: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(ms))) {
    if (p.type !== "literal") out[p.type] = Number(p.value);
  }
  return {
    year: out.year ?? 1970,
    month: out.month ?? 1,
    day: out.day ?? 1,
    hour: out.hour ?? 0,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  };
}

/** Offset of `tz` from UTC at instant `ms`, in ms (+07:00 → 25_200_000). */
export function offsetAt(tz: string, ms: number): number {
  const p = localParts(tz, ms);
  const floored = Math.floor(ms / 1000) * 1000;
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - floored;
}

/** Maps seconds-of-day of one local day to the UTC instant, or undefined when that wall time does not exist. */
export type DayZone = (secondOfDay: number) => number | undefined;

/** Resolver for the local day `year-month-day` in `tz` (see the header for the rules). */
export function dayZone(tz: string, year: number, month: number, day: number): DayZone {
  const midnight = Date.UTC(year, month - 1, day);
  // Instants surely before and after this local day whatever the offset (offsets stay within ±14 h).
  const before = midnight - DAY_MS;
  const after = midnight + 2 * DAY_MS;
  const oLo = offsetAt(tz, before);
  const oHi = offsetAt(tz, after);
  const oMid = offsetAt(tz, midnight + DAY_MS / 2 - oLo);
  if (oLo === oHi && oMid === oLo) return (sec) => midnight + sec * 1000 - oLo;
  const offsetOf =
    oLo !== oHi ? singleTransition(tz, before, after, oLo, oHi) : (t: number): number => offsetAt(tz, t);
  const candidates = [...new Set([oLo, oMid, oHi])].sort((a, b) => b - a); // larger offset = earlier instant
  return (sec) => {
    const wall = midnight + sec * 1000;
    for (const o of candidates) {
      const t = wall - o;
      if (offsetOf(t) === o) return t;
    }
    return undefined;
  };
}

/** The offset function across one transition between `lo` (offset oLo) and `hi` (offset oHi), found by bisection. */
function singleTransition(tz: string, lo: number, hi: number, oLo: number, oHi: number): (t: number) => number {
  let a = lo; // offset oLo
  let b = hi; // offset oHi
  while (b - a > 1000) {
    const m = a + Math.floor((b - a) / 2000) * 1000;
    if (offsetAt(tz, m) === oLo) a = m;
    else b = m;
  }
  return (t) => (t < b ? oLo : oHi);
}

/** Calendar arithmetic on local dates, independent of any zone. */
export function addDays(d: { year: number; month: number; day: number }, n: number): { year: number; month: number; day: number } {
  const x = new Date(Date.UTC(d.year, d.month - 1, d.day + n));
  return { year: x.getUTCFullYear(), month: x.getUTCMonth() + 1, day: x.getUTCDate() };
}
