// Dates, times and numbers as people read them, in the panel's language and zone (Asia/Ho_Chi_Minh).
import { lang, t } from "../i18n.js";

export const TZ = "Asia/Ho_Chi_Minh";

const locale = () => (lang() === "vi" ? "vi-VN" : "en-GB");
const toDate = (v) => (v instanceof Date ? v : new Date(typeof v === "number" ? v : Date.parse(v)));
const fmtCache = new Map();
function dtf(opts) {
  const key = `${lang()}|${JSON.stringify(opts)}`;
  let f = fmtCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale(), { timeZone: TZ, ...opts });
    fmtCache.set(key, f);
  }
  return f;
}

export function fmtDateTime(v) {
  if (v === null || v === undefined) return "—";
  return dtf({ day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(toDate(v));
}

export function fmtTime(v) {
  return dtf({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(toDate(v));
}

export function fmtTimeOfIso(v) {
  return v ? dtf({ hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }).format(toDate(v)) : "";
}

export function fmtTime2(h, mi) {
  return `${String(h).padStart(2, "0")}:${String(mi).padStart(2, "0")}`;
}

export function weekdayShort(dow) {
  return t(`weekday.${dow}`);
}

/** A calendar column head: "Thứ Hai 03/03" / "Monday 03/03". */
export function fmtDayHead(day) {
  return `${t(`weekdayLong.${day.dow}`)} ${String(day.d).padStart(2, "0")}/${String(day.mo).padStart(2, "0")}`;
}

/** 65 000 → "1:05"; an hour or more → "1:01:05". */
export function fmtDuration(ms) {
  if (typeof ms !== "number") return "—";
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

export function fmtLufs(v) {
  if (typeof v !== "number") return "—";
  return `${new Intl.NumberFormat(locale(), { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(v)} LUFS`;
}

export function fmtBytes(n) {
  if (typeof n !== "number") return "—";
  const units = ["B", "KB", "MB", "GB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: i === 0 ? 0 : 1 }).format(v)} ${units[i]}`;
}

/** "3 phút trước" / "3 minutes ago". */
export function fmtAgo(v, nowMs = Date.now()) {
  const diffS = Math.round((toDate(v).getTime() - nowMs) / 1000);
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: "auto" });
  const abs = Math.abs(diffS);
  if (abs < 60) return rtf.format(diffS, "second");
  if (abs < 3600) return rtf.format(Math.round(diffS / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(diffS / 3600), "hour");
  return rtf.format(Math.round(diffS / 86400), "day");
}

/** A number with the language's decimal mark (30,5 / 30.5). */
export function fmtNumber(v, digits = 0) {
  if (typeof v !== "number") return "—";
  return new Intl.NumberFormat(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);
}
