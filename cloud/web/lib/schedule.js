// What a broadcast's `when` means for people (ARCHITECTURE §2 Broadcast.when): a sentence, and the
// occurrences inside a window for the calendar and "next broadcasts".
import { DEFAULT_TZ, cronBetween, parseCron } from "./time.js";
import { t } from "../i18n.js";
import { fmtDateTime, fmtTime2, weekdayShort } from "./format.js";

/** A weekly pattern this panel can describe (one time of day, some weekdays), else null. */
export function weeklyOf(cron) {
  const c = parseCron(cron);
  if (!c || c.mi.size !== 1 || c.h.size !== 1 || !c.domAny || c.mo.size !== 12) return null;
  const days = c.dowAny ? [1, 2, 3, 4, 5, 6, 0] : [...c.dow].sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7));
  return { h: [...c.h][0], mi: [...c.mi][0], days };
}

function daysText(days) {
  const key = [...days].sort().join(",");
  if (key === "1,2,3,4,5") return t("when.weekdays");
  if (days.length === 7) return t("when.everyDay");
  return days.map(weekdayShort).join(", ");
}

export function describeWhen(b) {
  const w = b.when;
  if (w.now) return t("when.nowAt", { time: fmtDateTime(b.createdAt) });
  if (w.at) return fmtDateTime(w.at);
  const weekly = weeklyOf(w.cron);
  if (weekly) return t("when.weekly", { days: daysText(weekly.days), time: fmtTime2(weekly.h, weekly.mi) });
  return t("when.cron", { cron: w.cron });
}

/** Occurrence instants of a broadcast in [fromMs, toMs). */
export function occurrencesOf(b, fromMs, toMs) {
  if (b.status !== "active" && b.status !== "paused") return [];
  const w = b.when;
  if (w.now) {
    const ms = Date.parse(b.createdAt);
    return ms >= fromMs && ms < toMs ? [ms] : [];
  }
  if (w.at) {
    const ms = Date.parse(w.at);
    return ms >= fromMs && ms < toMs ? [ms] : [];
  }
  const c = parseCron(w.cron);
  if (!c) return [];
  const lo = Math.max(fromMs, w.from ? Date.parse(w.from) : -Infinity, Date.parse(b.createdAt));
  const hi = Math.min(toMs, w.until ? Date.parse(w.until) : Infinity);
  if (!(lo < hi)) return [];
  return cronBetween(c, lo, hi, w.tz || DEFAULT_TZ, 200);
}

/** The next `limit` plays of these broadcasts after now, soonest first. */
export function upcoming(broadcasts, limit, nowMs = Date.now()) {
  const horizon = nowMs + 8 * 24 * 3600_000;
  const out = [];
  for (const b of broadcasts) {
    if (b.status !== "active") continue;
    for (const at of occurrencesOf(b, nowMs, horizon).slice(0, limit)) out.push({ b, at });
  }
  return out.sort((x, y) => x.at - y.at).slice(0, limit);
}
