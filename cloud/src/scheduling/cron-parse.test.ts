import { describe, expect, it } from "vitest";
import { LoaError } from "@loa/shared";
import cron from "node-cron";
import { CronError, isValidCron, parseCron } from "./index.js";

function errorOf(expr: string): CronError {
  try {
    parseCron(expr);
  } catch (err) {
    if (err instanceof CronError) return err;
    throw err;
  }
  throw new Error(`expected "${expr}" to be refused`);
}

describe("parseCron", () => {
  it("reads six fields: lists, ranges, steps", () => {
    const s = parseCron("0,30 */15 6-8 1-10/3 * *");
    expect(s.seconds).toEqual([0, 30]);
    expect(s.minutes).toEqual([0, 15, 30, 45]);
    expect(s.hours).toEqual([6, 7, 8]);
    expect([...s.dayOfMonth.days]).toEqual([1, 4, 7, 10]);
    expect(s.months).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect([...s.dayOfWeek.days].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(s.dayOr).toBe(false);
  });

  it("reads five fields as second 0", () => {
    const s = parseCron("30 6 * * 1-6");
    expect(s.seconds).toEqual([0]);
    expect(s.minutes).toEqual([30]);
    expect(s.hours).toEqual([6]);
    expect([...s.dayOfWeek.days].sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("reads names in any case, full or short, and 0 or 7 as Sunday", () => {
    expect([...parseCron("0 0 0 * JAN-mar,Dec MON-FRI").dayOfWeek.days].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(parseCron("0 0 0 * JAN-mar,Dec *").months).toEqual([1, 2, 3, 12]);
    expect([...parseCron("0 0 * * sunday,Saturday").dayOfWeek.days].sort()).toEqual([0, 6]);
    expect([...parseCron("0 0 * * 7").dayOfWeek.days]).toEqual([0]);
    expect([...parseCron("0 0 * * 0").dayOfWeek.days]).toEqual([0]);
    expect([...parseCron("0 0 * * 5-7").dayOfWeek.days].sort()).toEqual([0, 5, 6]);
    expect([...parseCron("0 0 * * 7-2").dayOfWeek.days].sort()).toEqual([0, 1, 2]);
  });

  it("wraps reversed ranges like node-cron (22-2, FRI-MON, NOV-FEB)", () => {
    expect(parseCron("0 0 22-2 * * *").hours).toEqual([0, 1, 2, 22, 23]);
    expect([...parseCron("0 0 0 * * FRI-MON").dayOfWeek.days].sort()).toEqual([0, 1, 5, 6]);
    expect(parseCron("0 0 0 1 NOV-FEB *").months).toEqual([1, 2, 11, 12]);
  });

  it("reads a/n as a to the end of the field", () => {
    expect(parseCron("0 5/20 * * * *").minutes).toEqual([5, 25, 45]);
  });

  it("accepts nicknames and ?", () => {
    const d = parseCron("@daily");
    expect([d.seconds, d.minutes, d.hours]).toEqual([[0], [0], [0]]);
    expect(parseCron("@hourly").minutes).toEqual([0]);
    expect(parseCron("@hourly").hours).toHaveLength(24);
    expect(parseCron("0 0 12 ? * MON").dayOr).toBe(false);
  });

  it("uses OR semantics only when both day fields are restricted", () => {
    expect(parseCron("0 0 1 * MON").dayOr).toBe(true);
    expect(parseCron("0 0 * * MON").dayOr).toBe(false);
    expect(parseCron("0 0 */2 * MON").dayOr).toBe(false);
  });

  it("reads node-cron's L, L-n, W, nL and n#k", () => {
    const s = parseCron("0 0 0 L,L-2,15W,LW * *");
    expect(s.dayOfMonth.last).toBe(true);
    expect(s.dayOfMonth.lastOffsets).toEqual([2]);
    expect(s.dayOfMonth.nearestWeekday).toEqual([15, 0]);
    const w = parseCron("0 0 0 * * 5L,MON#1,7#2");
    expect(w.dayOfWeek.last).toEqual([5]);
    expect(w.dayOfWeek.nth).toEqual([
      { weekday: 1, n: 1 },
      { weekday: 0, n: 2 },
    ]);
  });

  it("refuses bad input with invalid_cron and names the field", () => {
    const cases: [string, string, RegExp][] = [
      ["0 61 * * * *", "minute", /61 is out of range 0–59/],
      ["60 * * * * *", "second", /out of range/],
      ["0 0 24 * * *", "hour", /24/],
      ["0 0 0 32 * *", "day-of-month", /32/],
      ["0 0 0 0 * *", "day-of-month", /0 is out of range 1–31/],
      ["0 0 0 * 13 *", "month", /13/],
      ["0 0 0 * FOO *", "month", /FOO/],
      ["0 0 0 * * 8", "day-of-week", /8 is out of range 0–7/],
      ["0 0 0 * * XYZ", "day-of-week", /XYZ/],
      ["0 */0 * * * *", "minute", /step "0"/],
      ["0 1,,2 * * * *", "minute", /empty/],
      ["0 1-2-3 * * * *", "minute", /range/],
      ["0 0 0 * * MON#6", "day-of-week", /1–5/],
      ["0 0 0 L-31 * *", "day-of-month", /1–30/],
      ["0 0 0 30 2 *", "day-of-month", /never occurs/],
      ["* * * *", "expression", /expected 6 fields .* got 4/],
      ["0 0 0 0 * * * *", "expression", /got 8/],
      ["", "expression", /got 0/],
      ["@reboot", "expression", /nickname/],
    ];
    for (const [expr, field, message] of cases) {
      const err = errorOf(expr);
      expect(err, expr).toBeInstanceOf(LoaError);
      expect(err.code).toBe("invalid_cron");
      expect(err.field, expr).toBe(field);
      expect(err.message, expr).toMatch(message);
      expect(err.message, expr).toContain(field);
    }
  });
});

describe("compatibility with node-cron's validate()", () => {
  // node-cron 4 drives periodic jobs elsewhere: whatever it accepts in common use, we accept too.
  const accepted = [
    "* * * * * *",
    "* * * * *",
    "0 30 6 * * 1-6",
    "30 6 * * 1-6",
    "*/5 * * * *",
    "0 */15 8-17 * * MON-FRI",
    "0 0 12 1,15 * *",
    "0 0 0 1 JAN *",
    "0 0 0 * * SUN",
    "0 0 0 * * 7",
    "0 0 0 * * 0-7",
    "0 0 22-2 * * *",
    "0 0 0 * * FRI-MON",
    "0 0 9 * * monday",
    "0 0 9 * january *",
    "0 0 9 1-10/2 * *",
    "0 0 9 L * *",
    "0 0 9 L-3 * *",
    "0 0 9 15W * *",
    "0 0 9 LW * *",
    "0 0 9 * * 5L",
    "0 0 9 * * 1#2",
    "0 0 9 ? * MON",
    "@daily",
    "@weekly",
    "  0   0  9 * * *  ",
    "05 09 * * *",
  ];
  it.each(accepted)("accepts %s like node-cron", (expr) => {
    expect(cron.validate(expr)).toBe(true);
    expect(isValidCron(expr)).toBe(true);
  });

  const refused = ["61 * * * *", "* 24 * * *", "* * 32 * *", "* * * 13 *", "* * * * 8", "* * *", "0 0 30 2 *", "a b c d e"];
  it.each(refused)("refuses %s like node-cron", (expr) => {
    expect(cron.validate(expr)).toBe(false);
    expect(isValidCron(expr)).toBe(false);
  });
});
