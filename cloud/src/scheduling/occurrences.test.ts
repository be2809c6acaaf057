import { afterEach, describe, expect, it, vi } from "vitest";
import cron from "node-cron";
import { InvalidTimeZoneError, nextOccurrence, occurrences, offsetAt, parseCron } from "./index.js";
import { ISO, utc } from "./scheduling.fixture.js";

const HCM = "Asia/Ho_Chi_Minh";
const BERLIN = "Europe/Berlin";

describe("occurrences in Asia/Ho_Chi_Minh (UTC+7, no DST)", () => {
  it("0 30 6 * * 1-6: 23:30Z the day before, Monday to Saturday, no Sunday", () => {
    // Week of Monday 2 March 2026 to Sunday 8 March, local.
    const from = utc(2026, 3, 1, 17); // Mon 2 Mar 00:00 local
    const to = utc(2026, 3, 8, 17); // Mon 9 Mar 00:00 local
    expect(occurrences("0 30 6 * * 1-6", HCM, from, to).map(ISO)).toEqual([
      "2026-03-01T23:30:00.000Z",
      "2026-03-02T23:30:00.000Z",
      "2026-03-03T23:30:00.000Z",
      "2026-03-04T23:30:00.000Z",
      "2026-03-05T23:30:00.000Z",
      "2026-03-06T23:30:00.000Z",
    ]);
  });

  it("the window is [from, to): an instant at `to` is out, at `from` is in", () => {
    const at = utc(2026, 3, 1, 23, 30);
    expect(occurrences("0 30 6 * * *", HCM, at, at + 1)).toEqual([at]);
    expect(occurrences("0 30 6 * * *", HCM, at - 1000, at)).toEqual([]);
  });

  it("honours the broadcast's own from (inclusive) and until (exclusive), ISO or ms", () => {
    const from = utc(2026, 3, 1);
    const to = utc(2026, 3, 31);
    const got = occurrences("30 6 * * *", HCM, from, to, {
      from: "2026-03-10T06:30:00+07:00",
      until: utc(2026, 3, 11, 23, 30),
    });
    expect(got.map(ISO)).toEqual(["2026-03-09T23:30:00.000Z", "2026-03-10T23:30:00.000Z"]);
    expect(occurrences("30 6 * * *", HCM, from, to, { from: "2026-04-01T00:00:00Z" })).toEqual([]);
  });

  it("limit keeps the earliest", () => {
    const got = occurrences("0 0 * * * *", HCM, utc(2026, 1, 1), utc(2026, 2, 1), { limit: 3 });
    expect(got.map(ISO)).toEqual(["2026-01-01T00:00:00.000Z", "2026-01-01T01:00:00.000Z", "2026-01-01T02:00:00.000Z"]);
  });

  it("ORs day-of-month and day-of-week when both are restricted", () => {
    // March 2026: the 1st is a Sunday; Mondays are 2, 9, 16, 23, 30.
    const got = occurrences("0 0 12 1 * MON", "UTC", utc(2026, 3, 1), utc(2026, 4, 1));
    expect(got.map((t) => new Date(t).getUTCDate())).toEqual([1, 2, 9, 16, 23, 30]);
    const and = occurrences("0 0 12 */2 * MON", "UTC", utc(2026, 3, 1), utc(2026, 4, 1));
    expect(and.map((t) => new Date(t).getUTCDate())).toEqual([9, 23]);
  });

  it("handles L, L-n, W, nL and n#k", () => {
    const days = (expr: string): number[] =>
      occurrences(expr, "UTC", utc(2026, 2, 1), utc(2026, 3, 1)).map((t) => new Date(t).getUTCDate());
    expect(days("0 0 L * *")).toEqual([28]);
    expect(days("0 0 L-2 * *")).toEqual([26]);
    expect(days("0 0 1W * *")).toEqual([2]); // Sun 1 Feb 2026 → Mon 2
    expect(days("0 0 14W * *")).toEqual([13]); // Sat 14 → Fri 13
    expect(days("0 0 * * 5L")).toEqual([27]); // last Friday
    expect(days("0 0 * * MON#2")).toEqual([9]);
  });

  it("is efficient: every second for two days, every 5 minutes for a year", () => {
    const t0 = performance.now();
    expect(occurrences("* * * * * *", HCM, utc(2026, 1, 1), utc(2026, 1, 3))).toHaveLength(2 * 86_400);
    expect(occurrences("0 */5 * * * *", HCM, utc(2026, 1, 1), utc(2027, 1, 1))).toHaveLength(365 * 288);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it("finds the next occurrence", () => {
    expect(nextOccurrence("0 0 9 29 2 *", "UTC", utc(2026, 1, 1))).toBe(utc(2028, 2, 29, 9));
  });
});

describe("occurrences in a zone with DST (Europe/Berlin)", () => {
  it("spring forward: 02:30 does not exist on 29 March 2026 and is skipped", () => {
    const got = occurrences("0 30 2 * * *", BERLIN, utc(2026, 3, 27), utc(2026, 3, 31));
    expect(got.map(ISO)).toEqual([
      "2026-03-27T01:30:00.000Z", // CET, +01:00
      "2026-03-28T01:30:00.000Z",
      "2026-03-30T00:30:00.000Z", // CEST, +02:00
    ]);
  });

  it("spring forward: 03:00 exists and 01:59:59 is still winter time", () => {
    const got = occurrences("59 59 1 * * *", BERLIN, utc(2026, 3, 29), utc(2026, 3, 29, 12));
    expect(got.map(ISO)).toEqual(["2026-03-29T00:59:59.000Z"]);
    expect(occurrences("0 0 3 * * *", BERLIN, utc(2026, 3, 29), utc(2026, 3, 30)).map(ISO)).toEqual([
      "2026-03-29T01:00:00.000Z",
    ]);
  });

  it("fall back: 02:30 happens twice on 25 October 2026; it fires once, at the first", () => {
    const got = occurrences("0 30 2 * * *", BERLIN, utc(2026, 10, 24), utc(2026, 10, 27));
    expect(got.map(ISO)).toEqual([
      "2026-10-24T00:30:00.000Z",
      "2026-10-25T00:30:00.000Z", // 02:30 CEST, not 01:30Z (02:30 CET)
      "2026-10-26T01:30:00.000Z",
    ]);
  });

  it("fall back: an hourly job fires 24 times that day (the repeated hour once)", () => {
    const dayStart = utc(2026, 10, 24, 22); // 25 Oct 00:00 CEST
    const dayEnd = utc(2026, 10, 25, 23); // 26 Oct 00:00 CET
    const got = occurrences("0 0 * * * *", BERLIN, dayStart, dayEnd);
    expect(got).toHaveLength(24);
    expect(got.map(ISO)).toContain("2026-10-25T00:00:00.000Z"); // 02:00 CEST
    expect(got.map(ISO)).not.toContain("2026-10-25T01:00:00.000Z"); // 02:00 CET, the repeat
  });

  it("transitions at midnight (America/Santiago): skipped 00:30, first of the repeated 23:30", () => {
    const spring = occurrences("0 30 0 * * *", "America/Santiago", utc(2026, 9, 4), utc(2026, 9, 8));
    expect(spring.map(ISO)).toEqual(["2026-09-04T04:30:00.000Z", "2026-09-05T04:30:00.000Z", "2026-09-07T03:30:00.000Z"]);
    const fall = occurrences("0 30 23 * * *", "America/Santiago", utc(2026, 4, 3, 12), utc(2026, 4, 6, 12));
    expect(fall.map(ISO)).toEqual(["2026-04-04T02:30:00.000Z", "2026-04-05T02:30:00.000Z", "2026-04-06T03:30:00.000Z"]);
  });

  it("offsetAt reads the zone's offset", () => {
    expect(offsetAt(HCM, utc(2026, 6, 1))).toBe(7 * 3_600_000);
    expect(offsetAt(BERLIN, utc(2026, 1, 1))).toBe(3_600_000);
    expect(offsetAt(BERLIN, utc(2026, 7, 1))).toBe(2 * 3_600_000);
  });
});

describe("time zone validation", () => {
  it.each(["Mars/Base", "", "+07:00", "GMT+7", "Asia/Nowhere"])("refuses %j with invalid_tz", (tz) => {
    let err: unknown;
    try {
      occurrences("0 0 * * *", tz, 0, 86_400_000);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidTimeZoneError);
    expect((err as InvalidTimeZoneError).code).toBe("invalid_tz");
  });

  it("refuses a bad cron with invalid_cron before anything else", () => {
    expect(() => occurrences("0 0 25 * * *", HCM, 0, 1)).toThrow(/hour/);
  });
});

describe("agrees with node-cron where the semantics are the same", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const cases: [string, string][] = [
    ["0 30 6 * * 1-6", HCM],
    ["0 */20 5-7 * * *", HCM],
    ["0 0 9 1,15 * *", HCM],
    ["15 10 17 * * SAT", HCM],
    ["0 0 12 L * *", "UTC"],
    ["0 45 23 * * 5L", HCM],
    ["0 0 8 * * MON#1", HCM],
    ["0 0 18 * JAN-MAR *", "UTC"],
  ];
  it.each(cases)("%s in %s: the next 20 runs match node-cron's", (expr, tz) => {
    const start = utc(2026, 2, 10, 3, 17, 11);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(start);
    const task = cron.createTask(expr, () => undefined, { timezone: tz });
    const theirs = task.getNextRuns(20).map((d) => d.getTime());
    void task.destroy();
    vi.useRealTimers();
    const ours = occurrences(parseCron(expr), tz, start + 1, start + 3 * 366 * 86_400_000, { limit: 20 });
    expect(ours.map(ISO)).toEqual(theirs.map(ISO));
  });
});
