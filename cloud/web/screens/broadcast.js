// One broadcast with live per-receiver progress (ARCHITECTURE §2 Play statuses): the plays of the chosen
// occurrence, updated from the stream's `play` events without reloading.
import { html, useMemo, useState } from "../lib/html.js";
import { get, query } from "../lib/api.js";
import { Confirm, Empty, ErrorBox, Loading, Page, PlayBadge, Progress, useAsync } from "../lib/components.js";
import { useStore } from "../lib/store.js";
import { devicesStore } from "../lib/live.js";
import { areaPath } from "../lib/areas.js";
import { coveredDevices } from "../lib/area-picker.js";
import { useStream } from "../lib/stream.js";
import { describeWhen } from "../lib/schedule.js";
import { targetsText } from "../lib/targets.js";
import { t } from "../i18n.js";
import { fmtDateTime, fmtDuration } from "../lib/format.js";
import { StatusButtons, setStatus } from "./broadcasts.js";
import { Conflicts } from "./broadcast-conflicts.js";

const DONE = new Set(["finished", "failed", "missed", "interrupted"]);

/** A play is one occurrence on one device: the playId names the occurrence, shared by every device. */
const keyOf = (p) => `${p.deviceId}|${p.playId}`;

async function loadPlays(broadcastId) {
  const out = [];
  let cursor;
  for (let page = 0; page < 20; page++) {
    const res = await get(`/api/v1/plays${query({ broadcastId, cursor, limit: 1000 })}`);
    out.push(...res.items);
    cursor = res.nextCursor;
    if (!cursor) break;
  }
  return out;
}

/** The detail (with up to 1000 recent plays, conflicts), all plays when there are more, and the bulletin. */
async function loadAll(id) {
  const detail = await get(`/api/v1/broadcasts/${encodeURIComponent(id)}`);
  const { broadcast } = detail;
  const [plays, bulletin] = await Promise.all([
    detail.playsTotal > detail.plays.length ? loadPlays(id) : detail.plays,
    get(`/api/v1/bulletins/${encodeURIComponent(broadcast.bulletinId)}`).then((r) => r.bulletin, () => null),
  ]);
  return { broadcast, plays, bulletin, conflicts: detail.conflicts ?? [] };
}

/** The occurrence to show first: the latest one already due, else the next one. */
function defaultAt(ats) {
  const now = Date.now() + 60_000;
  const due = ats.filter((a) => Date.parse(a) <= now);
  return due.length > 0 ? due[due.length - 1] : ats[0];
}

export function BroadcastScreen({ params, can }) {
  const data = useAsync(() => loadAll(params.id), [params.id]);
  const [live, setLive] = useState(() => new Map());
  const [chosen, setChosen] = useState(null);
  const [error, setError] = useState(null);
  const [cancelling, setCancelling] = useState(false);
  const devices = useStore(devicesStore);
  useStream("play", (d) => {
    const p = d.play ?? d;
    if (p.broadcastId !== params.id || !p.playId) return;
    const k = keyOf(p);
    setLive((m) => new Map(m).set(k, { ...(m.get(k) ?? {}), ...p }));
  });
  const plays = useMemo(() => {
    const m = new Map((data.data?.plays ?? []).map((p) => [keyOf(p), p]));
    for (const [k, p] of live) m.set(k, { ...(m.get(k) ?? {}), ...p });
    return [...m.values()].filter((p) => !p.removed);
  }, [data.data, live]);
  if (data.loading && !data.data) return html`<${Page} title=${t("broadcast.heading")}><${Loading} /><//>`;
  if (!data.data) return html`<${Page} title=${t("broadcast.heading")}><${ErrorBox} error=${data.error} /><//>`;
  const { broadcast: b, bulletin, conflicts } = data.data;
  const ats = [...new Set(plays.map((p) => p.at))].sort();
  const at = chosen && ats.includes(chosen) ? chosen : defaultAt(ats);
  const act = async (_b, status) => {
    setError(null);
    try {
      await setStatus(b.id, status);
      data.reload();
    } catch (err) {
      setError(err);
    }
  };
  return html`<${Page} title=${bulletin?.title ?? b.bulletinTitle ?? t("broadcast.heading")}>
    <div class="card">
      <dl class="facts">
        <div><dt>${t("broadcasts.status")}</dt><dd><span class=${`badge status-${b.status}`}>${t(`bstatus.${b.status}`)}</span></dd></div>
        <div><dt>${t("newb.priority")}</dt><dd><span class=${`badge prio-${b.priority}`}>${t(`priority.${b.priority}`)}</span></dd></div>
        <div><dt>${t("broadcasts.when")}</dt><dd>${describeWhen(b)}</dd></div>
        <div><dt>${t("broadcasts.targets")}</dt><dd>${targetsText(b.targets)}</dd></div>
        ${bulletin ? html`<div><dt>${t("bulletins.duration")}</dt><dd>${fmtDuration(bulletin.durationMs)}</dd></div>` : null}
        ${b.volume !== undefined ? html`<div><dt>${t("broadcasts.volume")}</dt><dd>${b.volume}</dd></div>` : null}
      </dl>
      ${bulletin ? html`<audio controls preload="none" src=${bulletin.audioUrl} aria-label=${t("bulletins.previewOf", { title: bulletin.title })}></audio>` : null}
      ${can("broadcasts.write") ? html`<${StatusButtons} b=${b} onAct=${act} onCancel=${() => setCancelling(true)} />` : null}
    </div>
    <${ErrorBox} error=${error} />
    <${Conflicts} b=${b} conflicts=${conflicts} canOrder=${can("broadcasts.write")} onOrdered=${() => data.reload()} onError=${setError} />
    <h2>${t("broadcast.progress")}</h2>
    ${ats.length > 1 ? html`<label class="field inline">${t("broadcast.occurrence")}
      <select value=${at} onChange=${(e) => setChosen(e.currentTarget.value)}>${ats.map((a) => html`<option value=${a}>${fmtDateTime(a)}</option>`)}</select>
    </label>` : null}
    <${ProgressTable} b=${b} at=${at} plays=${plays.filter((p) => p.at === at)} devices=${devices} />
    <${Confirm} open=${cancelling} title=${t("broadcasts.cancelTitle")} body=${t("broadcasts.cancelBody")} confirmLabel=${t("broadcasts.cancel")} danger
      onConfirm=${() => {
        setCancelling(false);
        act(b, "cancelled");
      }} onCancel=${() => setCancelling(false)} />
  <//>`;
}

function ProgressTable({ b, at, plays, devices }) {
  const byDevice = new Map(plays.map((p) => [p.deviceId, p]));
  const targeted = new Set([...coveredDevices(b.targets.areaIds ?? []).map((d) => d.id), ...(b.targets.deviceIds ?? []), ...byDevice.keys()]);
  const rows = [...targeted].map((id) => ({ id, device: devices.byId.get(id), play: byDevice.get(id) }));
  rows.sort((x, y) => (x.device?.name ?? x.id).localeCompare(y.device?.name ?? y.id, "vi"));
  if (rows.length === 0) return html`<${Empty}>${t("broadcast.noDevices")}<//>`;
  const count = (s) => plays.filter((p) => p.status === s).length;
  const done = plays.filter((p) => DONE.has(p.status)).length;
  return html`<div class="stack">
    <div class="summary" aria-live="polite">
      ${at ? html`<p>${t("broadcast.at", { at: fmtDateTime(at) })}</p>` : html`<p>${t("broadcast.noPlaysYet")}</p>`}
      <${Progress} value=${rows.length ? done / rows.length : 0} label=${t("broadcast.progress")} />
      <p class="counts">${["planned", "delivered", "ready", "started", "finished", "failed", "missed", "interrupted"]
        .filter((s) => count(s) > 0)
        .map((s) => html`<span class="count"><${PlayBadge} status=${s} /> ${count(s)}</span>`)}</p>
    </div>
    <table class="table responsive progress-table">
      <thead><tr><th scope="col">${t("devices.name")}</th><th scope="col">${t("devices.area")}</th><th scope="col">${t("broadcast.status")}</th><th scope="col">${t("broadcast.detail")}</th></tr></thead>
      <tbody>${rows.map(({ id, device, play }) => html`<tr key=${id} data-device=${id} data-status=${play?.status ?? "none"}>
        <td data-label=${t("devices.name")}><a href=${`#/devices/${encodeURIComponent(id)}`}>${device?.name ?? id}</a></td>
        <td data-label=${t("devices.area")}>${device ? areaPath(device.areaId) : "—"}</td>
        <td data-label=${t("broadcast.status")}>${play ? html`<${PlayBadge} status=${play.status} />` : html`<span class="muted">${t("broadcast.notPlanned")}</span>`}</td>
        <td data-label=${t("broadcast.detail")}>${playDetail(play)}</td>
      </tr>`)}</tbody>
    </table>
  </div>`;
}

function playDetail(p) {
  if (!p) return "";
  if (p.status === "failed" || p.status === "missed" || p.status === "interrupted") return p.reason ? t("broadcast.reason", { reason: p.reason }) : "";
  if (p.status === "finished") return t("broadcast.played", { time: p.finishedAt ? fmtDateTime(p.finishedAt) : "", dur: p.playedMs !== undefined ? fmtDuration(p.playedMs) : "" });
  if (p.status === "started" && p.startedAt) return t("broadcast.since", { time: fmtDateTime(p.startedAt) });
  return "";
}

