// Thiết bị: every receiver of the caller's area with presence, amplifier state and faults, live from the
// stream; filter by area and state (ARCHITECTURE §7 operators: device health dashboard).
import { html, useEffect, useState } from "../lib/html.js";
import { useStore } from "../lib/store.js";
import { devicesStore, loadDevices } from "../lib/live.js";
import { areaPath, flatTree, subtreeIds, areasStore } from "../lib/areas.js";
import { DEVICE_COLUMNS, deviceCells } from "../lib/device-fields.js";
import { Empty, ErrorBox, Loading, Page, StateBadge } from "../lib/components.js";
import { navigate } from "../lib/router.js";
import { t } from "../i18n.js";

const STATES = ["", "online", "fault", "offline"];

function filterQuery(q) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v) p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : "";
}

export function DevicesScreen({ query, can }) {
  const store = useStore(devicesStore);
  // Presence, health and faults arrive on the stream; the full telemetry (signal, cache) is re-read now and then.
  useEffect(() => {
    const id = setInterval(() => loadDevices(), 60_000);
    return () => clearInterval(id);
  }, []);
  useStore(areasStore);
  const [text, setText] = useState("");
  const areaId = query.area ?? "";
  const state = query.state ?? "";
  const setFilter = (patch) => navigate(`/devices${filterQuery({ area: areaId, state, ...patch })}`);
  const within = areaId ? subtreeIds(areaId) : null;
  const needle = text.trim().toLowerCase();
  const all = [...store.byId.values()];
  const items = all
    .filter((d) => !within || within.has(d.areaId))
    .filter((d) => !state || d.state === state)
    .filter((d) => !needle || d.name.toLowerCase().includes(needle) || d.id.toLowerCase().includes(needle))
    .sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name, "vi"));
  const counts = { online: 0, fault: 0, offline: 0 };
  for (const d of all) counts[d.state]++;
  const actions = can("devices.write") ? html`<a class="btn btn-primary" href="#/devices/new">${t("devices.add")}</a>` : null;
  return html`<${Page} title=${t("devices.heading")} actions=${actions}>
    <p class="counts" aria-live="polite">
      ${["online", "fault", "offline"].map((s) => html`<span class="count"><${StateBadge} state=${s} /> <strong data-count=${s}>${counts[s]}</strong></span>`)}
    </p>
    <div class="filters">
      <label>${t("devices.filterArea")}
        <select value=${areaId} onChange=${(e) => setFilter({ area: e.currentTarget.value })}>
          <option value="">${t("devices.allAreas")}</option>
          ${flatTree().map(({ area, depth }) => html`<option value=${area.id}>${"\u00a0\u00a0".repeat(depth)}${area.name}</option>`)}
        </select>
      </label>
      <label>${t("devices.filterState")}
        <select value=${state} onChange=${(e) => setFilter({ state: e.currentTarget.value })}>
          ${STATES.map((s) => html`<option value=${s}>${s ? t(`deviceState.${s}`) : t("devices.allStates")}</option>`)}
        </select>
      </label>
      <label>${t("devices.search")}
        <input type="search" value=${text} onInput=${(e) => setText(e.currentTarget.value)} />
      </label>
    </div>
    <${ErrorBox} error=${store.error} />
    ${!store.loaded ? html`<${Loading} />` : null}
    ${store.loaded && items.length === 0 ? html`<${Empty}>${t("devices.none")}<//>` : null}
    ${items.length > 0 ? html`<${DeviceTable} items=${items} />` : null}
  <//>`;
}

/** Faults first, then offline, then the healthy ones: what needs a person comes to the top. */
function rank(d) {
  return d.state === "fault" ? 0 : d.state === "offline" ? 1 : 2;
}

function DeviceTable({ items }) {
  return html`<div class="table-wrap"><table class="table responsive devices-table">
    <caption class="visually-hidden">${t("devices.heading")}</caption>
    <thead><tr>
      <th scope="col">${t("devices.name")}</th><th scope="col">${t("devices.area")}</th><th scope="col">${t("devices.state")}</th>
      ${DEVICE_COLUMNS.map((c) => html`<th scope="col">${t(`devices.col.${c}`)}</th>`)}
    </tr></thead>
    <tbody>${items.map((d) => {
      const cells = deviceCells(d);
      return html`<tr key=${d.id} data-device=${d.id} data-state=${d.state}>
        <th scope="row" data-label=${t("devices.name")}><a href=${`#/devices/${encodeURIComponent(d.id)}`}>${d.name}</a></th>
        <td data-label=${t("devices.area")}>${areaPath(d.areaId)}</td>
        <td data-label=${t("devices.state")}><${StateBadge} state=${d.state} /></td>
        ${DEVICE_COLUMNS.map((c) => html`<td data-label=${t(`devices.col.${c}`)} data-col=${c}>${cells[c]}</td>`)}
      </tr>`;
    })}</tbody>
  </table></div>`;
}
