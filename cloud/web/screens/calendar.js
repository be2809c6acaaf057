// Lịch tuần: what is planned this week, day by day in the panel's zone (Asia/Ho_Chi_Minh), from the
// broadcasts' `when` (now / at / cron). On a phone the days stack.
import { html, useState } from "../lib/html.js";
import { get } from "../lib/api.js";
import { ErrorBox, Loading, Page, useAsync } from "../lib/components.js";
import { occurrencesOf } from "../lib/schedule.js";
import { bulletinIndex } from "../lib/targets.js";
import { DEFAULT_TZ, instantOf, wallOf, weekDays, weekStart } from "../lib/time.js";
import { t } from "../i18n.js";
import { fmtDayHead, fmtTime } from "../lib/format.js";

export function CalendarScreen() {
  const list = useAsync(() => get("/api/v1/broadcasts"), []);
  const bulletins = useAsync(() => get("/api/v1/bulletins"), []);
  const [offset, setOffset] = useState(0);
  const start = weekStart(Date.now(), DEFAULT_TZ, offset);
  const days = weekDays(start);
  const end = weekStart(Date.now(), DEFAULT_TZ, offset + 1);
  const titles = bulletinIndex(bulletins.data);
  const entries = [];
  for (const b of list.data?.items ?? []) for (const at of occurrencesOf(b, start, end)) entries.push({ b, at });
  entries.sort((x, y) => x.at - y.at);
  const today = wallOf(Date.now());
  const actions = html`<div class="row">
    <button type="button" class="btn" onClick=${() => setOffset(offset - 1)}>‹ ${t("calendar.prev")}</button>
    <button type="button" class="btn" onClick=${() => setOffset(0)} disabled=${offset === 0}>${t("calendar.thisWeek")}</button>
    <button type="button" class="btn" onClick=${() => setOffset(offset + 1)}>${t("calendar.next")} ›</button>
  </div>`;
  return html`<${Page} title=${t("calendar.heading")} actions=${actions}>
    <${ErrorBox} error=${list.error} />
    ${list.loading && !list.data ? html`<${Loading} />` : null}
    <ol class="week" aria-label=${t("calendar.heading")}>
      ${days.map((d) => {
        const from = instantOf(d);
        const to = from + 24 * 3600_000;
        const mine = entries.filter((e) => e.at >= from && e.at < to);
        const isToday = d.y === today.y && d.mo === today.mo && d.d === today.d;
        return html`<li class=${`day-col${isToday ? " today" : ""}`}>
          <h2 class="day-head">${fmtDayHead(d)}${isToday ? html` <span class="badge">${t("calendar.today")}</span>` : null}</h2>
          ${mine.length === 0 ? html`<p class="muted">${t("calendar.nothing")}</p>` : null}
          <ul>${mine.map((e) => html`<li class=${`cal-item prio-${e.b.priority} status-${e.b.status}`} data-broadcast=${e.b.id}>
            <a href=${`#/broadcasts/${encodeURIComponent(e.b.id)}`}>
              <time datetime=${new Date(e.at).toISOString()}>${fmtTime(e.at)}</time>
              <span class="cal-title">${titles.get(e.b.bulletinId)?.title ?? e.b.bulletinId}</span>
              ${e.b.status === "paused" ? html`<span class="badge status-paused">${t("bstatus.paused")}</span>` : null}
            </a>
          </li>`)}</ul>
        </li>`;
      })}
    </ol>
  <//>`;
}
