/**
 * The panel's browser-free logic, run in Node (the files are plain ES modules with no DOM at import):
 * the vi/en dictionary (every key the screens use exists in both, with the same placeholders), the
 * zone-aware time helpers and the cron the "repeat weekly" form sends (cloud/src/scheduling reads it).
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { parseCron as serverParseCron } from "../cloud/src/scheduling/cron-parse.js";
import { occurrences } from "../cloud/src/scheduling/occurrences.js";

const WEB = fileURLToPath(new URL("../cloud/web/", import.meta.url));

interface I18n {
  DICTS: Record<"vi" | "en", Record<string, string>>;
  t(key: string, params?: Record<string, unknown>): string;
  setLang(l: string): void;
}
interface Wall {
  y: number;
  mo: number;
  d: number;
  h?: number;
  mi?: number;
}
interface Cron {
  mi: Set<number>;
  h: Set<number>;
}
interface Time {
  weeklyCron(time: string, days: number[]): string;
  dowField(days: number[]): string;
  localInputToIso(v: string, tz?: string): string | null;
  instantOf(w: Wall, tz?: string): number;
  wallOf(ms: number, tz?: string): Wall & { dow: number };
  weekStart(ms: number, tz?: string, weeks?: number): number;
  parseCron(expr: string): Cron | null;
  cronBetween(c: Cron, from: number, to: number, tz?: string): number[];
}

const load = async <T>(rel: string): Promise<T> => (await import(pathToFileURL(join(WEB, rel)).href)) as T;

async function webSources(dir = WEB): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await webSources(p)));
    else if (e.name.endsWith(".js") && e.name !== "i18n.js") out.push(await readFile(p, "utf8"));
  }
  return out;
}

/** Keys built at run time from a prefix and a value the API gives. */
const DYNAMIC: Record<string, readonly string[]> = {
  "deviceState.": ["online", "offline", "fault"],
  "playStatus.": ["planned", "delivered", "ready", "started", "finished", "failed", "missed", "interrupted"],
  "priority.": ["normal", "priority", "emergency", "normalHint", "priorityHint", "emergencyHint"],
  "bstatus.": ["active", "paused", "cancelled", "done"],
  "kind.": ["province", "district", "commune", "village"],
  "role.": ["admin", "staff", "operator", "adminHint", "staffHint", "operatorHint"],
  "source.": ["upload", "tts", "cap"],
  "cmd.type.": ["play_now", "stop", "set_volume", "amp_power", "test_tone", "sync_time", "reboot"],
  "weekday.": ["0", "1", "2", "3", "4", "5", "6"],
  "weekdayLong.": ["0", "1", "2", "3", "4", "5", "6"],
  "stream.": ["open", "connecting", "down"],
  "home.tile.": ["online", "fault", "offline"],
  "bulletins.mode.": ["upload", "record", "tts"],
  "newb.mode.": ["now", "at", "weekly"],
  "conflict.rule.": ["emergency", "priority", "order", "createdAt", "tiebreak"],
  "devices.col.": ["lastSeen", "amp", "faults", "temp", "volume", "signal", "cache", "clock"],
  "fault.": ["over_temperature", "output_short", "speaker_line_open", "mains_lost", "fan_fault", "unreachable"],
};

describe("panel dictionary (cloud/web/i18n.js)", () => {
  it("has every key the screens use, in both languages, with the same placeholders", async () => {
    const { DICTS } = await load<I18n>("i18n.js");
    const used = new Set<string>();
    for (const src of await webSources()) {
      for (const m of src.matchAll(/\bt(?:Or)?\(\s*"([a-zA-Z][\w.]*)"/g)) used.add(m[1] ?? "");
      for (const m of src.matchAll(/"((?:nav|tree)\.[a-zA-Z]+)"/g)) used.add(m[1] ?? "");
    }
    for (const [prefix, values] of Object.entries(DYNAMIC)) for (const v of values) used.add(prefix + v);
    const missing = [...used].filter((k) => DICTS.vi[k] === undefined || DICTS.en[k] === undefined);
    expect(missing).toEqual([]);
    for (const [k, vi] of Object.entries(DICTS.vi)) {
      const en = DICTS.en[k] ?? "";
      expect(vi.trim().length, k).toBeGreaterThan(0);
      expect(en.trim().length, k).toBeGreaterThan(0);
      const holes = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? "").sort();
      expect(holes(vi), k).toEqual(holes(en));
    }
  });

  it("speaks Vietnamese with diacritics by default and fills placeholders", async () => {
    const { t, setLang } = await load<I18n>("i18n.js");
    expect(t("nav.devices")).toBe("Thiết bị");
    expect(t("newb.covers", { n: 12 })).toBe("Sẽ phát trên 12 máy thu.");
    setLang("en");
    expect(t("newb.covers", { n: 12 })).toBe("Will play on 12 receivers.");
    setLang("xx");
    expect(t("nav.devices")).toBe("Receivers");
    setLang("vi");
    expect(t("no.such.key")).toBe("no.such.key");
  });
});

describe("panel time helpers (cloud/web/lib/time.js)", () => {
  it("turns the weekly form into the six-field cron the server reads, on the right weekdays and time", async () => {
    const time = await load<Time>("lib/time.js");
    expect(time.weeklyCron("06:05", [1, 2, 3, 4, 5])).toBe("0 5 6 * * 1-5");
    expect(time.weeklyCron("19:30", [0, 6])).toBe("0 30 19 * * 0,6");
    expect(time.weeklyCron("07:00", [1, 3, 5])).toBe("0 0 7 * * 1,3,5");
    expect(time.dowField([0, 1, 2, 3, 4, 5, 6])).toBe("*");
    expect(time.dowField([1, 2, 4, 5, 6])).toBe("1,2,4-6");
    // The server's parser accepts it and fires Mon–Fri at 06:05 Vietnam time (23:05 UTC the day before).
    const cron = time.weeklyCron("06:05", [1, 2, 3, 4, 5]);
    const from = Date.parse("2026-11-23T00:00:00+07:00"); // a Monday
    const got = occurrences(serverParseCron(cron), "Asia/Ho_Chi_Minh", from, from + 7 * 86_400_000).map((ms) => new Date(ms).toISOString());
    expect(got).toEqual(["2026-11-22T23:05:00.000Z", "2026-11-23T23:05:00.000Z", "2026-11-24T23:05:00.000Z", "2026-11-25T23:05:00.000Z", "2026-11-26T23:05:00.000Z"]);
    // The panel's own expansion (the calendar) agrees with the server's.
    const mine = time.cronBetween(time.parseCron(cron) as Cron, from, from + 7 * 86_400_000, "Asia/Ho_Chi_Minh").map((ms) => new Date(ms).toISOString());
    expect(mine).toEqual(got);
  });

  it("reads date-time inputs in the zone, across a DST change too", async () => {
    const time = await load<Time>("lib/time.js");
    expect(time.localInputToIso("2026-03-01T07:30")).toBe("2026-03-01T00:30:00.000Z");
    expect(time.localInputToIso("not a date")).toBeNull();
    expect(new Date(time.instantOf({ y: 2026, mo: 7, d: 1, h: 9, mi: 0 }, "Europe/Berlin")).toISOString()).toBe("2026-07-01T07:00:00.000Z");
    expect(new Date(time.instantOf({ y: 2026, mo: 1, d: 1, h: 9, mi: 0 }, "Europe/Berlin")).toISOString()).toBe("2026-01-01T08:00:00.000Z");
    const w = time.wallOf(Date.parse("2026-11-27T20:00:00Z"));
    expect(w).toMatchObject({ y: 2026, mo: 11, d: 28, h: 3, dow: 6 });
    // The week starts on Monday 00:00 Vietnam time.
    expect(new Date(time.weekStart(Date.parse("2026-11-27T20:00:00Z"))).toISOString()).toBe("2026-11-22T17:00:00.000Z");
  });

  it("refuses cron it cannot place rather than guessing", async () => {
    const time = await load<Time>("lib/time.js");
    expect(time.parseCron("0 0 7 * *")).not.toBeNull();
    expect(time.parseCron("@daily")).toBeNull();
    expect(time.parseCron("0 0 7 L * *")).toBeNull();
  });
});
