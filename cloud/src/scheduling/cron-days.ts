/**
 * Which local calendar days a cron expression fires on (month, day-of-month, day-of-week, with node-cron's
 * `L`, `L-n`, `nW`, `dL`, `d#k`). Pure calendar arithmetic: no zone is involved.
 */
import type { CronSpec, DayOfMonthSpec, DayOfWeekSpec } from "./cron-parse.js";

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/** The weekday (Mon–Fri) nearest to `target`, never leaving the month (Quartz/node-cron `W`). */
function nearestWeekday(year: number, month: number, target: number): number {
  const last = daysInMonth(year, month);
  if (target > last) return -1;
  const wd = weekdayOf(year, month, target);
  if (wd === 6) return target === 1 ? 3 : target - 1;
  if (wd === 0) return target === last ? target - 2 : target + 1;
  return target;
}

function matchesDayOfMonth(spec: DayOfMonthSpec, year: number, month: number, day: number): boolean {
  if (spec.days.has(day)) return true;
  const last = daysInMonth(year, month);
  if (spec.last && day === last) return true;
  if (spec.lastOffsets.some((n) => last - n === day)) return true;
  return spec.nearestWeekday.some((t) => nearestWeekday(year, month, t === 0 ? last : t) === day);
}

function matchesDayOfWeek(spec: DayOfWeekSpec, year: number, month: number, day: number): boolean {
  const wd = weekdayOf(year, month, day);
  if (spec.days.has(wd)) return true;
  if (spec.nth.some((x) => x.weekday === wd && Math.floor((day - 1) / 7) + 1 === x.n)) return true;
  return spec.last.some((w) => w === wd && day + 7 > daysInMonth(year, month));
}

/** True when the expression fires on local date `year-month-day` (month 1–12). */
export function matchesDay(spec: CronSpec, year: number, month: number, day: number): boolean {
  if (!spec.months.includes(month)) return false;
  const dom = matchesDayOfMonth(spec.dayOfMonth, year, month, day);
  const dow = matchesDayOfWeek(spec.dayOfWeek, year, month, day);
  return spec.dayOr ? dom || dow : dom && dow;
}
