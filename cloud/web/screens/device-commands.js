// Remote control of one receiver (ARCHITECTURE §3 cmd, §7 commands): each command's result comes back on
// the stream (`command` events); the command's URL is polled as well in case the stream is down.
import { html, useEffect, useRef, useState } from "../lib/html.js";
import { get, post } from "../lib/api.js";
import { Confirm, ErrorBox } from "../lib/components.js";
import { useStream } from "../lib/stream.js";
import { t, tOr } from "../i18n.js";
import { fmtTimeOfIso } from "../lib/format.js";

const path = (id) => `/api/v1/devices/${encodeURIComponent(id)}/commands`;

function valueText(v) {
  if (typeof v === "boolean") return v ? t("common.yes") : t("common.no");
  if (v === null || v === undefined) return "—";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

function resultText(c) {
  if (c.status === "pending") return t("cmd.pending");
  if (c.status === "expired") return t("cmd.expired");
  if (c.status === "error") return t("cmd.failed", { msg: c.error?.message ?? c.error?.code ?? "" });
  const r = c.result ?? {};
  const bits = Object.entries(r).map(([k, v]) => `${tOr(`cmd.res.${k}`, k)}: ${valueText(v)}`);
  return bits.length > 0 ? t("cmd.okWith", { what: bits.join(", ") }) : t("cmd.ok");
}

export function DeviceCommands({ deviceId, currentVolume }) {
  const [cmds, setCmds] = useState([]);
  const [volume, setVolume] = useState(currentVolume ?? 70);
  const [error, setError] = useState(null);
  const [rebooting, setRebooting] = useState(false);
  const timers = useRef([]);
  useEffect(() => () => timers.current.forEach(clearTimeout), []);
  const update = (c) => setCmds((list) => list.map((x) => (x.cmdId === c.cmdId ? { ...x, ...c } : x)));
  useStream("command", (c) => {
    if (c.deviceId === deviceId) update(c);
  });
  const poll = (cmdId, tries) => {
    const h = setTimeout(async () => {
      try {
        const c = await get(`${path(deviceId)}/${encodeURIComponent(cmdId)}`);
        update(c);
        if (c.status === "pending" && tries > 0) poll(cmdId, tries - 1);
      } catch {
        if (tries > 0) poll(cmdId, tries - 1);
      }
    }, 2000);
    timers.current.push(h);
  };
  const send = async (type, args = {}) => {
    setError(null);
    try {
      const { cmdId } = await post(path(deviceId), { type, args });
      setCmds((list) => [{ cmdId, type, args, status: "pending", sentAt: new Date().toISOString() }, ...list].slice(0, 10));
      poll(cmdId, 30);
    } catch (err) {
      setError(err);
    }
  };
  return html`<section class="card" aria-labelledby="cmd-title">
    <h2 id="cmd-title">${t("cmd.heading")}</h2>
    <div class="stack">
      <div class="row wrap">
        <label class="field inline grow" for="cmd-volume">${t("cmd.volume", { v: volume })}
          <input id="cmd-volume" type="range" min="0" max="100" step="5" value=${volume} onInput=${(e) => setVolume(Number(e.currentTarget.value))} />
        </label>
        <button type="button" class="btn" id="cmd-set-volume" onClick=${() => send("set_volume", { volume })}>${t("cmd.setVolume")}</button>
      </div>
      <div class="row wrap">
        <button type="button" class="btn" onClick=${() => send("amp_power", { on: true })}>${t("cmd.ampOn")}</button>
        <button type="button" class="btn" onClick=${() => send("amp_power", { on: false })}>${t("cmd.ampOff")}</button>
        <button type="button" class="btn" onClick=${() => send("test_tone", { durationMs: 3000 })}>${t("cmd.testTone")}</button>
        <button type="button" class="btn" onClick=${() => send("stop")}>${t("cmd.stop")}</button>
        <button type="button" class="btn" onClick=${() => send("sync_time")}>${t("cmd.syncTime")}</button>
        <button type="button" class="btn btn-ghost danger" onClick=${() => setRebooting(true)}>${t("cmd.reboot")}</button>
      </div>
    </div>
    <${ErrorBox} error=${error} />
    ${cmds.length > 0 ? html`<ol class="cmd-log" aria-live="polite" aria-label=${t("cmd.results")}>
      ${cmds.map((c) => html`<li key=${c.cmdId} class=${`cmd cmd-${c.status}`} data-cmd=${c.cmdId} data-type=${c.type} data-status=${c.status}>
        <span class="cmd-time">${fmtTimeOfIso(c.sentAt ?? c.createdAt)}</span>
        <strong>${t(`cmd.type.${c.type}`)}</strong>
        <span>${resultText(c)}</span>
      </li>`)}
    </ol>` : null}
    <${Confirm} open=${rebooting} title=${t("cmd.rebootTitle")} body=${t("cmd.rebootBody")} confirmLabel=${t("cmd.reboot")} danger
      onConfirm=${() => {
        setRebooting(false);
        send("reboot");
      }} onCancel=${() => setRebooting(false)} />
  </section>`;
}
