/**
 * The proof-of-play report as CSV (ARCHITECTURE §7 `/api/v1/reports/plays.csv`): Vietnamese headers and
 * status words by default, English on request; times on the clock of each play's area
 * (`2026-11-27 06:30:00`); UTF-8 with a BOM so Excel shows the diacritics; RFC 4180 quoting with CRLF.
 * Text that staff typed (titles, names, reasons) never starts a formula in a spreadsheet.
 */
import type { PlayStatus } from "@loa/shared";
import { localParts } from "../scheduling/zone.js";
import type { PlayRecord } from "./play-index.js";

export type ReportLang = "vi" | "en";

export const CSV_HEADERS: Readonly<Record<ReportLang, readonly string[]>> = {
  vi: ["Mã phát", "Bản tin", "Thiết bị", "Khu vực", "Thời điểm", "Trạng thái", "Lý do", "Bắt đầu", "Kết thúc", "Thời lượng (giây)"],
  en: ["Play ID", "Bulletin", "Device", "Area", "Scheduled", "Status", "Reason", "Started", "Finished", "Duration (s)"],
};

const STATUS_VI: Readonly<Record<PlayStatus, string>> = {
  planned: "Đã lên lịch",
  delivered: "Đã gửi lịch",
  ready: "Sẵn sàng",
  started: "Đang phát",
  finished: "Đã phát xong",
  failed: "Lỗi",
  missed: "Bỏ lỡ",
  interrupted: "Bị ngắt",
};

/** Names for ids, and the zone of an area. */
export interface CsvLookups {
  bulletinTitle(broadcastId: string): string | undefined;
  deviceName(deviceId: string): string | undefined;
  areaName(areaId: string): string | undefined;
  tzOf(areaId: string): string;
}

export const BOM = "\uFEFF";

/** The whole file (BOM, header, one line per play), CRLF line ends. */
export function playsCsv(records: readonly PlayRecord[], lang: ReportLang, names: CsvLookups): string {
  const lines = [CSV_HEADERS[lang].map(csvField).join(",")];
  for (const r of records) lines.push(rowOf(r, lang, names).map(csvField).join(","));
  return `${BOM}${lines.join("\r\n")}\r\n`;
}

function rowOf(r: PlayRecord, lang: ReportLang, names: CsvLookups): string[] {
  const tz = names.tzOf(r.areaId);
  const time = (iso: string | undefined): string => (iso === undefined ? "" : localTime(tz, Date.parse(iso)));
  return [
    r.playId,
    safeText(names.bulletinTitle(r.broadcastId) ?? r.broadcastId),
    safeText(names.deviceName(r.deviceId) ?? r.deviceId),
    safeText(names.areaName(r.areaId) ?? r.areaId),
    localTime(tz, r.atMs),
    lang === "vi" ? STATUS_VI[r.status] : r.status,
    safeText(r.reason ?? ""),
    time(r.startedAt),
    time(r.finishedAt),
    r.playedMs === undefined ? "" : String(Math.round(r.playedMs / 1000)),
  ];
}

/** `2026-11-27 06:30:00` on the wall clock of `tz`. */
export function localTime(tz: string, ms: number): string {
  const p = localParts(tz, ms);
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}:${two(p.second)}`;
}

/** RFC 4180: quote a field holding a quote, comma, CR or LF; double the quotes inside. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A leading = + - @ (or tab/CR) would make a spreadsheet run the cell as a formula: prefix an apostrophe. */
export function safeText(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}
