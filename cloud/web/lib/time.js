// Wall-clock arithmetic in an IANA zone with only Intl (no library): what staff type is local time in the
// area's zone (default Asia/Ho_Chi_Minh, ARCHITECTURE §2), what the API stores is UTC.
export const DEFAULT_TZ = "Asia/Ho_Chi_Minh";

const partsCache = new Map();
function formatter(tz) {
  let f = partsCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", weekday: "short" });
    partsCache.set(tz, f);
  }
  return f;
}

const DOW = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** { y, mo (1-12), d, h, mi, s, dow (0 = Sunday) } of an instant in a zone. */
export function wallOf(ms, tz = DEFAULT_TZ) {
  const p = Object.fromEntries(formatter(tz).formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { y: +p.year, mo: +p.month, d: +p.day, h: +p.hour % 24, mi: +p.minute, s: +p.second, dow: DOW[p.weekday] };
}

/** The instant whose wall time in `tz` is the given one (two passes settle a DST edge). */
export function instantOf({ y, mo, d, h = 0, mi = 0 }, tz = DEFAULT_TZ) {
  const guess = Date.UTC(y, mo - 1, d, h, mi);
  let ms = guess;
  for (let i = 0; i < 2; i++) {
    const w = wallOf(ms, tz);
    const asUtc = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi);
    ms += guess - asUtc;
  }
  return ms;
}

/** "2025-03-01T07:30" (an <input type=datetime-local> value) in tz → ISO UTC. */
export function localInputToIso(value, tz = DEFAULT_TZ) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
  if (!m) return null;
  return new Date(instantOf({ y: +m[1], mo: +m[2], d: +m[3], h: +m[4], mi: +m[5] }, tz)).toISOString();
}

export function isoToLocalInput(ms, tz = DEFAULT_TZ) {
  const w = wallOf(ms, tz);
  const p = (n) => String(n).padStart(2, "0");
  return `${w.y}-${p(w.mo)}-${p(w.d)}T${p(w.h)}:${p(w.mi)}`;
}

/** Monday 00:00 (in tz) of the week holding `ms`, plus `weeks` weeks. */
export function weekStart(ms, tz = DEFAULT_TZ, weeks = 0) {
  const w = wallOf(ms, tz);
  const back = (w.dow + 6) % 7;
  const day = new Date(Date.UTC(w.y, w.mo - 1, w.d - back + weeks * 7));
  return instantOf({ y: day.getUTCFullYear(), mo: day.getUTCMonth() + 1, d: day.getUTCDate() }, tz);
}

/** The 7 days of a week as wall dates { y, mo, d, dow }. */
export function weekDays(startMs, tz = DEFAULT_TZ) {
  const w = wallOf(startMs, tz);
  return Array.from({ length: 7 }, (_, i) => {
    const day = new Date(Date.UTC(w.y, w.mo - 1, w.d + i));
    return { y: day.getUTCFullYear(), mo: day.getUTCMonth() + 1, d: day.getUTCDate(), dow: day.getUTCDay() };
  });
}

/** Parse one cron field ("*", "5", "1-5", "1,3,5", "*\/15", "1-5/2") into the set of values. */
function field(text, min, max) {
  const out = new Set();
  for (const part of text.split(",")) {
    const [range, stepText] = part.split("/");
    const step = stepText ? Number(stepText) : 1;
    let lo = min;
    let hi = max;
    if (range !== "*") {
      const [a, b] = range.split("-");
      lo = Number(a);
      hi = b !== undefined ? Number(b) : stepText ? max : lo;
    }
    if (![lo, hi, step].every(Number.isFinite) || step < 1) return null;
    for (let v = lo; v <= hi; v += step) out.add(v === 7 && max === 7 ? 0 : v);
  }
  return out;
}

/**
 * A cron expression (5 fields, or 6 with seconds first) as sets; null when this panel cannot read it (then
 * the calendar lists the broadcast without placing it).
 */
export function parseCron(expr) {
  const f = expr.trim().split(/\s+/);
  const five = f.length === 6 ? f.slice(1) : f;
  if (five.length !== 5) return null;
  const [mi, h, dom, mo, dow] = five;
  const sets = { mi: field(mi, 0, 59), h: field(h, 0, 23), dom: field(dom, 1, 31), mo: field(mo, 1, 12), dow: field(dow, 0, 7) };
  if (Object.values(sets).some((s) => s === null)) return null;
  sets.domAny = dom === "*";
  sets.dowAny = dow === "*";
  return sets;
}

/** Does a wall day match a parsed cron's date fields? (node-cron/Vixie: DOM and DOW are OR'ed when both restricted.) */
export function cronDayMatches(c, day) {
  if (!c.mo.has(day.mo)) return false;
  if (c.domAny && c.dowAny) return true;
  if (c.domAny) return c.dow.has(day.dow);
  if (c.dowAny) return c.dom.has(day.d);
  return c.dom.has(day.d) || c.dow.has(day.dow);
}

/** Occurrences of a parsed cron within [fromMs, toMs), as epoch ms, at most `limit`. */
export function cronBetween(c, fromMs, toMs, tz = DEFAULT_TZ, limit = 500) {
  const out = [];
  const start = wallOf(fromMs, tz);
  for (let i = 0; out.length < limit; i++) {
    const day = new Date(Date.UTC(start.y, start.mo - 1, start.d + i));
    const wall = { y: day.getUTCFullYear(), mo: day.getUTCMonth() + 1, d: day.getUTCDate(), dow: day.getUTCDay() };
    if (instantOf(wall, tz) >= toMs) break;
    if (!cronDayMatches(c, wall)) continue;
    for (const h of [...c.h].sort((a, b) => a - b)) {
      for (const mi of [...c.mi].sort((a, b) => a - b)) {
        const ms = instantOf({ ...wall, h, mi }, tz);
        if (ms >= fromMs && ms < toMs && out.length < limit) out.push(ms);
      }
    }
  }
  return out;
}

/** Weekdays (0 = Sunday … 6) as a cron DOW field with ranges: [1,2,3,4,5] → "1-5". */
export function dowField(days) {
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  if (sorted.length === 7) return "*";
  const parts = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j - i >= 2 ? `${sorted[i]}-${sorted[j]}` : sorted.slice(i, j + 1).join(","));
    i = j + 1;
  }
  return parts.join(",");
}

/** "HH:MM" + weekdays → `0 MM HH * * DOW` (six fields, seconds first; cloud/src/scheduling). */
export function weeklyCron(time, days) {
  const [h, m] = time.split(":").map(Number);
  return `0 ${m} ${h} * * ${dowField(days)}`;
}
