// Báo cáo: proof of play (ARCHITECTURE §2 Play) for a period and an area, with the CSV for paperwork.
import { html, useState } from "../lib/html.js";
import { get, query } from "../lib/api.js";
import { Empty, ErrorBox, Field, Loading, Page, PlayBadge, useAsync } from "../lib/components.js";
import { areaPath, flatTree } from "../lib/areas.js";
import { devicesStore } from "../lib/live.js";
import { useStore } from "../lib/store.js";
import { DEFAULT_TZ, instantOf, wallOf } from "../lib/time.js";
import { lang, t } from "../i18n.js";
import { fmtDateTime, fmtDuration } from "../lib/format.js";

const STATUSES = ["", "finished", "failed", "missed", "interrupted", "started", "ready", "delivered", "planned"];

function dateInput(ms) {
  const w = wallOf(ms, DEFAULT_TZ);
  const p = (n) => String(n).padStart(2, "0");
  return `${w.y}-${p(w.mo)}-${p(w.d)}`;
}

/** The period as instants: from the first day's 00:00 to the day after the last (in the panel's zone). */
export function periodOf(fromDate, toDate) {
  const [fy, fm, fd] = fromDate.split("-").map(Number);
  const [ty, tm, td] = toDate.split("-").map(Number);
  return {
    from: new Date(instantOf({ y: fy, mo: fm, d: fd })).toISOString(),
    to: new Date(instantOf({ y: ty, mo: tm, d: td + 1 })).toISOString(),
  };
}

export function ReportsScreen() {
  const devices = useStore(devicesStore);
  const [form, setForm] = useState(() => ({ fromDate: dateInput(Date.now() - 6 * 86400_000), toDate: dateInput(Date.now()), areaId: "", status: "" }));
  const [applied, setApplied] = useState(form);
  const [extra, setExtra] = useState({ items: [], cursor: null });
  const params = { ...periodOf(applied.fromDate, applied.toDate), areaId: applied.areaId, status: applied.status };
  const first = useAsync(async () => {
    setExtra({ items: [], cursor: null });
    return get(`/api/v1/plays${query(params)}`);
  }, [JSON.stringify(applied)]);
  const [moreError, setMoreError] = useState(null);
  const cursor = extra.cursor ?? first.data?.nextCursor ?? null;
  const items = [...(first.data?.items ?? []), ...extra.items];
  const more = async () => {
    try {
      const res = await get(`/api/v1/plays${query({ ...params, cursor })}`);
      setExtra((x) => ({ items: [...x.items, ...res.items], cursor: res.nextCursor ?? "" }));
    } catch (err) {
      setMoreError(err);
    }
  };
  const csv = `/api/v1/reports/plays.csv${query({ from: params.from, to: params.to, areaId: params.areaId, lang: lang() })}`;
  const set = (patch) => setForm((f) => ({ ...f, ...patch }));
  const counts = {};
  for (const p of items) counts[p.status] = (counts[p.status] ?? 0) + 1;
  return html`<${Page} title=${t("reports.heading")}>
    <form class="card filters" onSubmit=${(e) => {
      e.preventDefault();
      setApplied(form);
    }}>
      <${Field} id="rp-from" label=${t("reports.from")}><input id="rp-from" type="date" value=${form.fromDate} onInput=${(e) => set({ fromDate: e.currentTarget.value })} /><//>
      <${Field} id="rp-to" label=${t("reports.to")}><input id="rp-to" type="date" value=${form.toDate} onInput=${(e) => set({ toDate: e.currentTarget.value })} /><//>
      <${Field} id="rp-area" label=${t("devices.area")}>
        <select id="rp-area" value=${form.areaId} onChange=${(e) => set({ areaId: e.currentTarget.value })}>
          <option value="">${t("devices.allAreas")}</option>
          ${flatTree().map(({ area, depth }) => html`<option value=${area.id}>${"\u00a0\u00a0".repeat(depth)}${area.name}</option>`)}
        </select>
      <//>
      <${Field} id="rp-status" label=${t("reports.status")}>
        <select id="rp-status" value=${form.status} onChange=${(e) => set({ status: e.currentTarget.value })}>
          ${STATUSES.map((s) => html`<option value=${s}>${s ? t(`playStatus.${s}`) : t("reports.allStatuses")}</option>`)}
        </select>
      <//>
      <div class="row end"><button class="btn btn-primary" type="submit">${t("reports.show")}</button>
        <a class="btn" id="csv-link" href=${csv} download="plays.csv">${t("reports.csv")}</a></div>
    </form>
    <${ErrorBox} error=${first.error ?? moreError} />
    ${first.loading && !first.data ? html`<${Loading} />` : null}
    ${first.data ? html`<p class="counts" aria-live="polite">${t("reports.total", { n: items.length })}
      ${Object.entries(counts).map(([s, n]) => html` <span class="count"><${PlayBadge} status=${s} /> ${n}</span>`)}</p>` : null}
    ${first.data && items.length === 0 ? html`<${Empty}>${t("reports.none")}<//>` : null}
    ${items.length > 0 ? html`<div class="table-wrap"><table class="table responsive plays-table">
      <thead><tr><th scope="col">${t("reports.at")}</th><th scope="col">${t("devices.name")}</th><th scope="col">${t("devices.area")}</th><th scope="col">${t("reports.status")}</th><th scope="col">${t("reports.played")}</th><th scope="col">${t("reports.reason")}</th></tr></thead>
      <tbody>${items.map((p) => {
        const d = devices.byId.get(p.deviceId);
        return html`<tr key=${`${p.deviceId}|${p.playId}`} data-play=${p.playId} data-device=${p.deviceId}>
          <td data-label=${t("reports.at")}><a href=${`#/broadcasts/${encodeURIComponent(p.broadcastId)}`}>${fmtDateTime(p.at)}</a></td>
          <td data-label=${t("devices.name")}>${d?.name ?? p.deviceId}</td>
          <td data-label=${t("devices.area")}>${d ? areaPath(d.areaId) : "—"}</td>
          <td data-label=${t("reports.status")}><${PlayBadge} status=${p.status} /></td>
          <td data-label=${t("reports.played")}>${p.playedMs !== undefined ? fmtDuration(p.playedMs) : "—"}</td>
          <td data-label=${t("reports.reason")}>${p.reason ?? ""}</td>
        </tr>`;
      })}</tbody>
    </table></div>` : null}
    ${cursor ? html`<button type="button" class="btn" onClick=${more}>${t("reports.more")}</button>` : null}
  <//>`;
}
