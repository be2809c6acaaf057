// Tạo phát thanh in a few taps (ARCHITECTURE §2 Broadcast): bulletin, targets, when (now / at / weekly),
// priority (emergency asks again: it pre-empts whatever plays and ignores quiet hours), volume.
import { html, useEffect, useState } from "../lib/html.js";
import { loadDevices } from "../lib/live.js";
import { get, post } from "../lib/api.js";
import { Confirm, ErrorBox, Field, Loading, Page, useAsync } from "../lib/components.js";
import { AreaPicker, coveredDevices } from "../lib/area-picker.js";
import { navigate } from "../lib/router.js";
import { DEFAULT_TZ, isoToLocalInput, localInputToIso, weeklyCron } from "../lib/time.js";
import { t } from "../i18n.js";
import { fmtDuration, weekdayShort } from "../lib/format.js";
import { RefusalList } from "./broadcast-conflicts.js";

const WEEK = [1, 2, 3, 4, 5, 6, 0];

export function buildBody(f) {
  const body = { bulletinId: f.bulletinId, targets: { areaIds: f.areaIds, deviceIds: [] }, priority: f.priority };
  if (f.useVolume) body.volume = Number(f.volume);
  if (f.mode === "now") body.when = { now: true };
  else if (f.mode === "at") body.when = { at: localInputToIso(f.at, DEFAULT_TZ) };
  else body.when = { cron: weeklyCron(f.time, f.days), tz: DEFAULT_TZ };
  return body;
}

function initialForm(query) {
  return {
    bulletinId: query.bulletin ?? "",
    areaIds: [],
    mode: "now",
    at: isoToLocalInput(Date.now() + 3600_000),
    time: "07:00",
    days: [1, 2, 3, 4, 5],
    priority: "normal",
    useVolume: false,
    volume: 70,
  };
}

function problemsOf(f) {
  const out = [];
  if (!f.bulletinId) out.push(t("newb.needBulletin"));
  if (f.areaIds.length === 0) out.push(t("newb.needTargets"));
  if (f.mode === "at" && !localInputToIso(f.at)) out.push(t("newb.needAt"));
  if (f.mode === "weekly" && f.days.length === 0) out.push(t("newb.needDays"));
  return out;
}

export function BroadcastNewScreen({ query }) {
  const bulletins = useAsync(() => get("/api/v1/bulletins"), []);
  // Receiver counts per area come from the list: make sure it includes receivers added since login.
  useEffect(() => {
    loadDevices();
  }, []);
  const [f, setF] = useState(() => initialForm(query));
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [missing, setMissing] = useState([]);
  const set = (patch) => setF((x) => ({ ...x, ...patch }));
  const items = bulletins.data?.items ?? [];
  // Until staff pick one, the newest bulletin is the choice (the select shows it first).
  const form = { ...f, bulletinId: f.bulletinId || items[0]?.id || "" };
  const send = async () => {
    setConfirming(false);
    setBusy(true);
    setError(null);
    try {
      const res = await post("/api/v1/broadcasts", buildBody(form));
      const b = res.broadcast ?? res;
      navigate(`/broadcasts/${encodeURIComponent(b.id)}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const submit = (e) => {
    e.preventDefault();
    const problems = problemsOf(form);
    setMissing(problems);
    if (problems.length > 0) return;
    if (form.priority === "emergency") setConfirming(true);
    else send();
  };
  const n = coveredDevices(f.areaIds).length;
  return html`<${Page} title=${t("newb.heading")}>
    <form class="stack wide" onSubmit=${submit} novalidate>
      <fieldset class="card">
        <legend>1. ${t("newb.bulletin")}</legend>
        ${bulletins.loading && !bulletins.data ? html`<${Loading} />` : null}
        <${ErrorBox} error=${bulletins.error} />
        ${bulletins.data && items.length === 0 ? html`<p>${t("newb.noBulletins")} <a href="#/bulletins">${t("newb.makeOne")}</a></p>` : null}
        ${items.length > 0 ? html`<${Field} id="nb-bulletin" label=${t("newb.bulletin")}>
          <select id="nb-bulletin" value=${form.bulletinId} onChange=${(e) => set({ bulletinId: e.currentTarget.value })}>
            ${items.map((b) => html`<option value=${b.id}>${b.title} (${fmtDuration(b.durationMs)})</option>`)}
          </select>
        <//>` : null}
      </fieldset>
      <fieldset class="card">
        <legend>2. ${t("newb.where")}</legend>
        <${AreaPicker} selected=${f.areaIds} onChange=${(areaIds) => set({ areaIds })} />
        <p class="hint" aria-live="polite">${t("newb.covers", { n })}</p>
      </fieldset>
      <${WhenFields} f=${f} set=${set} />
      <${PriorityFields} f=${f} set=${set} />
      ${missing.length > 0 ? html`<div class="alert alert-error" role="alert"><ul>${missing.map((m) => html`<li>${m}</li>`)}</ul></div>` : null}
      <${ErrorBox} error=${error} id="broadcast-error" />
      <${RefusalList} error=${error} />
      <div class="row">
        <button type="submit" class=${f.priority === "emergency" ? "btn btn-danger btn-big" : "btn btn-primary btn-big"} disabled=${busy}>
          ${busy ? t("common.saving") : f.mode === "now" ? t("newb.sendNow") : t("newb.schedule")}
        </button>
        <a class="btn btn-ghost" href="#/broadcasts">${t("common.cancel")}</a>
      </div>
    </form>
    <${Confirm} open=${confirming} title=${t("newb.emergencyTitle")} body=${t("newb.emergencyBody", { n })} confirmLabel=${t("newb.emergencyConfirm")}
      danger onConfirm=${send} onCancel=${() => setConfirming(false)} />
  <//>`;
}

function WhenFields({ f, set }) {
  const toggleDay = (d, on) => set({ days: on ? [...f.days, d] : f.days.filter((x) => x !== d) });
  return html`<fieldset class="card">
    <legend>3. ${t("newb.when")}</legend>
    <div class="segmented" role="radiogroup" aria-label=${t("newb.when")}>
      ${["now", "at", "weekly"].map((m) => html`<label class=${f.mode === m ? "on" : ""}>
        <input type="radio" name="nb-mode" value=${m} checked=${f.mode === m} onChange=${() => set({ mode: m })} /> ${t(`newb.mode.${m}`)}
      </label>`)}
    </div>
    ${f.mode === "at" ? html`<${Field} id="nb-at" label=${t("newb.at")} hint=${t("newb.tzHint")}>
      <input id="nb-at" type="datetime-local" value=${f.at} onInput=${(e) => set({ at: e.currentTarget.value })} />
    <//>` : null}
    ${f.mode === "weekly" ? html`<div class="stack">
      <${Field} id="nb-time" label=${t("newb.time")} hint=${t("newb.tzHint")}>
        <input id="nb-time" type="time" value=${f.time} required onInput=${(e) => set({ time: e.currentTarget.value || f.time })} />
      <//>
      <fieldset class="days">
        <legend>${t("newb.days")}</legend>
        ${WEEK.map((d) => html`<label class="day"><input type="checkbox" checked=${f.days.includes(d)} onChange=${(e) => toggleDay(d, e.currentTarget.checked)} />
          <span>${weekdayShort(d)}</span></label>`)}
        <div class="row">
          <button type="button" class="btn btn-small" onClick=${() => set({ days: [1, 2, 3, 4, 5] })}>${t("when.weekdays")}</button>
          <button type="button" class="btn btn-small" onClick=${() => set({ days: [...WEEK] })}>${t("when.everyDay")}</button>
        </div>
      </fieldset>
    </div>` : null}
  </fieldset>`;
}

function PriorityFields({ f, set }) {
  return html`<fieldset class="card">
    <legend>4. ${t("newb.priority")}</legend>
    <div class="stack">
      ${["normal", "priority", "emergency"].map((p) => html`<label class=${`choice prio-${p}`}>
        <input type="radio" name="nb-priority" value=${p} checked=${f.priority === p} onChange=${() => set({ priority: p })} />
        <span><strong>${t(`priority.${p}`)}</strong><span class="hint">${t(`priority.${p}Hint`)}</span></span>
      </label>`)}
    </div>
    <label class="check"><input type="checkbox" checked=${f.useVolume} onChange=${(e) => set({ useVolume: e.currentTarget.checked })} /> ${t("newb.setVolume")}</label>
    ${f.useVolume ? html`<${Field} id="nb-volume" label=${t("newb.volume", { v: f.volume })}>
      <input id="nb-volume" type="range" min="0" max="100" step="5" value=${f.volume} onInput=${(e) => set({ volume: Number(e.currentTarget.value) })} />
    <//>` : null}
  </fieldset>`;
}
