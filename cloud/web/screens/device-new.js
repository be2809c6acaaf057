// Provisioning a receiver (ARCHITECTURE §3 Auth, §7): name + area (a village or commune) → the device's
// edge.json with its token, shown once, with a copy button.
import { html, useState } from "../lib/html.js";
import { post } from "../lib/api.js";
import { CopyButton, ErrorBox, Field, Page } from "../lib/components.js";
import { flatTree } from "../lib/areas.js";
import { loadDevices } from "../lib/live.js";
import { t } from "../i18n.js";

export function EdgeConfigView({ edgeConfig }) {
  const text = `${JSON.stringify(edgeConfig, null, 2)}\n`;
  return html`<section class="card edge-config" aria-labelledby="edge-title">
    <h2 id="edge-title">edge.json</h2>
    <div class="alert alert-warn" role="status">${t("provision.once")}</div>
    <pre id="copy-source" tabindex="0">${text}</pre>
    <div class="row"><${CopyButton} text=${text} label=${t("provision.copy")} /></div>
  </section>`;
}

export function DeviceNewScreen() {
  const places = flatTree().filter(({ area }) => area.kind === "commune" || area.kind === "village");
  const [name, setName] = useState("");
  const [areaId, setAreaId] = useState(places[0]?.area.id ?? "");
  const [profile, setProfile] = useState("loa-amp-v1");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [created, setCreated] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await post("/api/v1/devices", { name: name.trim(), areaId, profile: profile.trim() || undefined });
      setCreated(res);
      loadDevices();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  if (created) {
    return html`<${Page} title=${t("provision.done", { name: created.device.name })}>
      <${EdgeConfigView} edgeConfig=${created.edgeConfig} />
      <p>${t("provision.next")}</p>
      <div class="row">
        <a class="btn btn-primary" href=${`#/devices/${encodeURIComponent(created.device.id)}`}>${t("provision.open")}</a>
        <button type="button" class="btn" onClick=${() => {
          setCreated(null);
          setName("");
        }}>${t("provision.another")}</button>
      </div>
    <//>`;
  }
  return html`<${Page} title=${t("provision.heading")}>
    <form class="card stack" onSubmit=${submit}>
      <${Field} id="dn-name" label=${t("provision.name")} hint=${t("provision.nameHint")}>
        <input id="dn-name" required maxlength="200" value=${name} onInput=${(e) => setName(e.currentTarget.value)} />
      <//>
      <${Field} id="dn-area" label=${t("provision.area")}>
        <select id="dn-area" value=${areaId} onChange=${(e) => setAreaId(e.currentTarget.value)}>
          ${places.map(({ area, depth }) => html`<option value=${area.id}>${"\u00a0\u00a0".repeat(depth)}${area.name}</option>`)}
        </select>
      <//>
      <${Field} id="dn-profile" label=${t("provision.profile")} hint=${t("provision.profileHint")}>
        <input id="dn-profile" value=${profile} onInput=${(e) => setProfile(e.currentTarget.value)} list="dn-profiles" />
        <datalist id="dn-profiles"><option value="loa-amp-v1"></option><option value="relay-board-v1"></option></datalist>
      <//>
      <${ErrorBox} error=${error} />
      <button class="btn btn-primary" type="submit" disabled=${busy || !areaId}>${t("provision.submit")}</button>
    </form>
  <//>`;
}
