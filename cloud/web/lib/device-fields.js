// How receiver health reads in tables and cards (ARCHITECTURE §3 telemetry, §5 amplifier status bits).
import { html } from "./html.js";
import { t, tOr } from "../i18n.js";
import { fmtAgo, fmtBytes, fmtNumber } from "./format.js";

export function faultText(f) {
  return tOr(`fault.${f.code}`, f.code);
}

export function ampText(amp) {
  if (!amp) return "—";
  if (amp.reachable === false) return t("amp.unreachable");
  const parts = [amp.powered === undefined ? null : amp.powered ? t("amp.on") : t("amp.off")];
  if (amp.muted) parts.push(t("amp.muted"));
  return parts.filter(Boolean).join(", ") || "—";
}

const num = (v, unit, digits = 0) => (typeof v === "number" ? `${fmtNumber(v, digits)}${unit}` : "—");

/** Cells of one receiver, by column key; each is plain text or a small view. */
export function deviceCells(d) {
  const tel = d.health?.telemetry ?? null;
  const amp = tel?.amp ?? null;
  const faults = d.health?.faults ?? [];
  return {
    lastSeen: d.health?.lastSeenAt ? fmtAgo(d.health.lastSeenAt) : t("devices.never"),
    amp: ampText(amp),
    faults: faults.length === 0 ? "—" : html`<ul class="faults">${faults.map((f) => html`<li>${faultText(f)}</li>`)}</ul>`,
    temp: num(amp?.temperatureC, " °C", 1),
    volume: num(amp?.volume, ""),
    signal: amp?.signal === undefined ? "—" : amp.signal ? t("common.yes") : t("common.no"),
    cache: typeof tel?.cacheBytes === "number" ? fmtBytes(tel.cacheBytes) : "—",
    clock: num(tel?.clockOffsetMs, " ms"),
  };
}

export const DEVICE_COLUMNS = ["lastSeen", "amp", "faults", "temp", "volume", "signal", "cache", "clock"];
