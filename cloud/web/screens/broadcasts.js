// Phát thanh: the broadcasts of the caller's area with pause / resume / cancel (ARCHITECTURE §2 status).
import { html, useState } from "../lib/html.js";
import { get, patch } from "../lib/api.js";
import { Confirm, Empty, ErrorBox, Loading, Page, useAsync } from "../lib/components.js";
import { describeWhen } from "../lib/schedule.js";
import { bulletinIndex, targetsText } from "../lib/targets.js";
import { t } from "../i18n.js";
import { fmtDateTime } from "../lib/format.js";

const OPEN = new Set(["active", "paused"]);

export async function setStatus(id, status) {
  return patch(`/api/v1/broadcasts/${encodeURIComponent(id)}`, { status });
}

export function BroadcastsScreen({ can }) {
  const list = useAsync(() => get("/api/v1/broadcasts"), []);
  const bulletins = useAsync(() => get("/api/v1/bulletins"), []);
  const [showAll, setShowAll] = useState(false);
  const [error, setError] = useState(null);
  const [cancelling, setCancelling] = useState(null);
  const titles = bulletinIndex(bulletins.data);
  const all = list.data?.items ?? [];
  const items = showAll ? all : all.filter((b) => OPEN.has(b.status));
  const act = async (b, status) => {
    setError(null);
    try {
      await setStatus(b.id, status);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  const actions = html`
    <a class="btn" href="#/calendar">${t("broadcasts.calendar")}</a>
    ${can("broadcasts.write") ? html`<a class="btn btn-primary" href="#/broadcasts/new">${t("broadcasts.new")}</a>` : null}`;
  return html`<${Page} title=${t("broadcasts.heading")} actions=${actions}>
    <${ErrorBox} error=${error ?? list.error} />
    <label class="check"><input type="checkbox" checked=${showAll} onChange=${(e) => setShowAll(e.currentTarget.checked)} /> ${t("broadcasts.showAll")}</label>
    ${list.loading && !list.data ? html`<${Loading} />` : null}
    ${list.data && items.length === 0 ? html`<${Empty}>${t("broadcasts.none")}<//>` : null}
    <ul class="cards">
      ${items.map((b) => html`<li class="card broadcast" key=${b.id} data-id=${b.id}>
        <div class="bulletin-head">
          <h3><a href=${`#/broadcasts/${encodeURIComponent(b.id)}`}>${b.bulletinTitle ?? titles.get(b.bulletinId)?.title ?? t("broadcasts.noBulletin")}</a></h3>
          <span class=${`badge prio-${b.priority}`}>${t(`priority.${b.priority}`)}</span>
          <span class=${`badge status-${b.status}`}>${t(`bstatus.${b.status}`)}</span>
        </div>
        <dl class="facts">
          <div><dt>${t("broadcasts.when")}</dt><dd>${describeWhen(b)}</dd></div>
          <div><dt>${t("broadcasts.targets")}</dt><dd>${targetsText(b.targets)}</dd></div>
          ${b.nextAt ? html`<div><dt>${t("broadcasts.next")}</dt><dd>${fmtDateTime(b.nextAt)}</dd></div>` : null}
          ${b.summary ? html`<div><dt>${t("broadcasts.done")}</dt><dd>${t("broadcasts.doneOf", { done: b.summary.devicesFinished, total: b.summary.devices })}</dd></div>` : null}
          ${b.volume !== undefined ? html`<div><dt>${t("broadcasts.volume")}</dt><dd>${b.volume}</dd></div>` : null}
        </dl>
        ${can("broadcasts.write") ? html`<${StatusButtons} b=${b} onAct=${act} onCancel=${() => setCancelling(b)} />` : null}
      </li>`)}
    </ul>
    <${Confirm} open=${cancelling !== null} title=${t("broadcasts.cancelTitle")} body=${t("broadcasts.cancelBody")}
      confirmLabel=${t("broadcasts.cancel")} danger onConfirm=${() => {
        const b = cancelling;
        setCancelling(null);
        act(b, "cancelled");
      }} onCancel=${() => setCancelling(null)} />
  <//>`;
}

export function StatusButtons({ b, onAct, onCancel }) {
  if (!OPEN.has(b.status)) return null;
  return html`<div class="row">
    ${b.status === "active"
      ? html`<button type="button" class="btn" onClick=${() => onAct(b, "paused")}>${t("broadcasts.pause")}</button>`
      : html`<button type="button" class="btn" onClick=${() => onAct(b, "active")}>${t("broadcasts.resume")}</button>`}
    <button type="button" class="btn btn-ghost danger" onClick=${onCancel}>${t("broadcasts.cancel")}</button>
  </div>`;
}
