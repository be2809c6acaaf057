/** CSV details of the proof-of-play report (ARCHITECTURE §7): quoting, formulas, zones, languages. */
import { describe, expect, it } from "vitest";
import { BOM, CSV_HEADERS, csvField, localTime, playsCsv, safeText } from "./plays-csv.js";
import type { PlayRecord } from "./play-index.js";

const record: PlayRecord = {
  playId: "brc_1:1764199800000", broadcastId: "brc_1", deviceId: "d1", areaId: "V1", atMs: Date.UTC(2025, 10, 26, 23, 30), durationMs: 60_000,
  status: "failed", reason: "amp said \"no\",\nthen stopped",
};
const names = {
  bulletinTitle: () => "=HYPERLINK(\"http://evil\")",
  deviceName: () => "Loa, cổng chợ",
  areaName: () => "Thôn Một",
  tzOf: () => "Asia/Ho_Chi_Minh",
};

describe("plays CSV", () => {
  it("quotes fields with commas, quotes and line breaks (RFC 4180) and defuses formulas", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\r\nlines")).toBe('"two\r\nlines"');
    expect(safeText("=1+1")).toBe("'=1+1");
    expect(safeText("-5")).toBe("'-5");
    expect(safeText("Thôn 5")).toBe("Thôn 5");
  });

  it("writes a BOM, the header row, CRLF lines and local times", () => {
    const csv = playsCsv([record], "vi", names);
    expect(csv.startsWith(BOM)).toBe(true);
    expect(csv.endsWith("\r\n")).toBe(true);
    const body = csv.slice(1);
    expect(body.startsWith(`${CSV_HEADERS.vi.join(",")}\r\n`)).toBe(true);
    expect(body).toContain(`brc_1:1764199800000,"'=HYPERLINK(""http://evil"")","Loa, cổng chợ",Thôn Một,2025-11-27 06:30:00,Lỗi,"amp said ""no"",\nthen stopped",,,\r\n`);
    expect(playsCsv([record], "en", names)).toContain(",2025-11-27 06:30:00,failed,");
  });

  it("formats instants on the wall clock of the zone", () => {
    const t = Date.UTC(2026, 10, 26, 23, 30, 5);
    expect(localTime("Asia/Ho_Chi_Minh", t)).toBe("2026-11-27 06:30:05");
    expect(localTime("UTC", t)).toBe("2026-11-26 23:30:05");
  });
});
