// One receiver: live health, recent telemetry as small charts (the cloud's last hours, then live samples),
// faults, commands, and (for who may) rename, new token (shows a fresh edge.json once) and delete.
import { html, useEffect, useState } from "../lib/html.js";
import { del, get, post } from "../lib/api.js";
import { Confirm, ErrorBox, Loading, Page, Sparkline, StateBadge } from "../lib/components.js";
import { useStore } from "../lib/store.js";
import { devicesStore, historyOf, reloadDevice } from "../lib/live.js";
import { areaPath } from "../lib/areas.js";
import { ampText, deviceCells, faultText } from "../lib/device-fields.js";
import { navigate } from "../lib/router.js";
import { t } from "../i18n.js";
import { fmtAgo, fmtDateTime, fmtTime } from "../lib/format.js";
import { DeviceCommands } from "./device-commands.js";
import { EdgeConfigView } from "./device-new.js";

/** The cloud's samples (GET /devices/:id/telemetry) in the shape of lib/live.js's history. */
function pastOf(items) {
  return items.map((p) => ({ at: Date.parse(p.at), ampTemp: p.ampTempC, volume: p.volume, cpuTemp: p.cpuTempC, clockOffset: p.clockOffsetMs }));
}

/**
 * The charts' series: the cloud's history loaded when the page opened, then the live samples (from the
 * stream) that came after it; live ones only until the history arrives or when it cannot be read.
 */
function useTelemetry(id) {
  const [past, setPast] = useState({ id: null, samples: [], loadedAt: 0, failed: false });
  useEffect(() => {
    let gone = false;
    get(`/api/v1/devices/${encodeURIComponent(id)}/telemetry`)
      .then((r) => !gone && setPast({ id, samples: pastOf(r.items), loadedAt: Date.now(), failed: false }))
      .catch(() => !gone && setPast({ id, samples: [], loadedAt: 0, failed: true }));
    return () => {
      gone = true;
    };
  }, [id]);
  const mine = past.id === id ? past : { samples: [], loadedAt: 0, failed: false };
  const live = historyOf(id).filter((s) => s.at > mine.loadedAt);
  return { samples: [...mine.samples, ...live], failed: mine.failed };
}

function Charts({ id }) {
  const { samples: hist, failed } = useTelemetry(id);
  return html`<section class="card" aria-labelledby="dev-charts">
    <h2 id="dev-charts">${t("device.charts")}</h2>
    <p class="hint" data-samples=${hist.length}>${hist.length > 0 ? t("device.chartsSince", { time: fmtTime(hist[0].at), n: hist.length }) : t("device.chartsHint")}</p>
    ${failed ? html`<p class="muted">${t("device.historyFailed")}</p>` : null}
    <${Sparkline} label=${t("device.ampTemp")} unit=" °C" values=${hist.map((s) => s.ampTemp)} />
    <${Sparkline} label=${t("devices.col.volume")} values=${hist.map((s) => s.volume)} />
    <${Sparkline} label=${t("device.cpuTemp")} unit=" °C" values=${hist.map((s) => s.cpuTemp)} />
    <${Sparkline} label=${t("devices.col.clock")} unit=" ms" values=${hist.map((s) => s.clockOffset)} />
  </section>`;
}

export function DeviceScreen({ params, can }) {
  const store = useStore(devicesStore);
  const d = store.byId.get(params.id);
  const [error, setError] = useState(null);
  const [rotated, setRotated] = useState(null);
  const [confirm, setConfirm] = useState(null);
  useEffect(() => {
    reloadDevice(params.id).catch((err) => setError(err));
    // The stream carries a summary of each telemetry sample; the full one (signal, cache) comes from here.
    const id = setInterval(() => reloadDevice(params.id).catch(() => undefined), 15_000);
    return () => clearInterval(id);
  }, [params.id]);
  if (!d) return html`<${Page} title=${t("device.heading")}>${error ? html`<${ErrorBox} error=${error} />` : html`<${Loading} />`}<//>`;
  const tel = d.health.telemetry;
  const run = async () => {
    const what = confirm;
    setConfirm(null);
    setError(null);
    try {
      if (what === "rotate") setRotated(await post(`/api/v1/devices/${encodeURIComponent(d.id)}/token`));
      if (what === "delete") {
        await del(`/api/v1/devices/${encodeURIComponent(d.id)}`);
        navigate("/devices");
      }
    } catch (err) {
      setError(err);
    }
  };
  const cells = deviceCells(d);
  return html`<${Page} title=${d.name}>
    <div class="grid2">
      <section class="card" aria-labelledby="dev-health">
        <h2 id="dev-health">${t("device.health")} <${StateBadge} state=${d.state} /></h2>
        <dl class="facts">
          <div><dt>${t("devices.area")}</dt><dd>${areaPath(d.areaId, 3)}</dd></div>
          <div><dt>${t("devices.col.lastSeen")}</dt><dd>${cells.lastSeen}</dd></div>
          <div><dt>${t("devices.col.amp")}</dt><dd data-field="amp">${ampText(tel?.amp)}</dd></div>
          <div><dt>${t("devices.col.temp")}</dt><dd>${cells.temp}</dd></div>
          <div><dt>${t("devices.col.volume")}</dt><dd data-field="volume">${cells.volume}</dd></div>
          <div><dt>${t("devices.col.signal")}</dt><dd>${cells.signal}</dd></div>
          <div><dt>${t("devices.col.cache")}</dt><dd>${cells.cache}</dd></div>
          <div><dt>${t("devices.col.clock")}</dt><dd>${cells.clock}</dd></div>
          <div><dt>${t("device.playing")}</dt><dd>${tel?.playing ? t("device.playingSince", { since: fmtAgo(tel.playing.startedAt) }) : t("device.idle")}</dd></div>
          <div><dt>${t("device.profile")}</dt><dd>${d.profile}</dd></div>
          <div><dt>${t("device.agent")}</dt><dd>${d.health.agentVersion ?? "—"}</dd></div>
          <div><dt>${t("device.id")}</dt><dd><code>${d.id}</code></dd></div>
        </dl>
        <h3>${t("device.faults")}</h3>
        ${d.health.faults.length === 0 ? html`<p class="muted">${t("device.noFaults")}</p>` : html`<ul class="fault-list">
          ${d.health.faults.map((f) => html`<li data-fault=${f.code}><strong>${faultText(f)}</strong>${f.since ? html` · ${fmtDateTime(f.since)}` : null}${f.detail ? html`<br /><span class="muted">${f.detail}</span>` : null}</li>`)}
        </ul>`}
      </section>
      <${Charts} id=${d.id} />
    </div>
    ${can("devices.command") ? html`<${DeviceCommands} deviceId=${d.id} currentVolume=${tel?.amp?.volume} />` : null}
    <${ErrorBox} error=${error} />
    ${rotated ? html`<${EdgeConfigView} edgeConfig=${rotated.edgeConfig} />` : null}
    ${can("devices.write") ? html`<div class="row">
      <button type="button" class="btn" onClick=${() => setConfirm("rotate")}>${t("device.rotate")}</button>
      <button type="button" class="btn btn-ghost danger" onClick=${() => setConfirm("delete")}>${t("device.delete")}</button>
    </div>` : null}
    <${Confirm} open=${confirm !== null} title=${confirm === "delete" ? t("device.deleteTitle") : t("device.rotateTitle")}
      body=${confirm === "delete" ? t("device.deleteBody", { name: d.name }) : t("device.rotateBody")}
      confirmLabel=${confirm === "delete" ? t("common.delete") : t("device.rotate")} danger onConfirm=${run} onCancel=${() => setConfirm(null)} />
  <//>`;
}
