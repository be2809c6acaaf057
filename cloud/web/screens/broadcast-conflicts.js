// Collisions and refusals in plain words (ARCHITECTURE §2: where two plays collide on a device the panel
// shows the conflict for staff to order). Conflicts come as shared/api ConflictView: `first` plays first by
// `rule`; staff can put this broadcast first by giving it a lower `order` than the other one.
import { html } from "../lib/html.js";
import { ApiError, get, patch } from "../lib/api.js";
import { devicesStore } from "../lib/live.js";
import { lang, t } from "../i18n.js";
import { fmtDateTime, fmtDuration } from "../lib/format.js";

function deviceName(id) {
  return devicesStore.get().byId.get(id)?.name ?? id;
}

/** Rows of a refusal (quiet hours): `{message: {vi, en}}` or text. */
function refusalLine(row) {
  if (typeof row === "string") return row;
  const msg = row.message;
  if (msg && typeof msg === "object") return lang() === "vi" ? msg.vi ?? msg.en : msg.en ?? msg.vi;
  if (typeof msg === "string") return msg;
  return [row.deviceId && deviceName(row.deviceId), row.at && fmtDateTime(row.at)].filter(Boolean).join(" · ");
}

/** The refusal's list under the API's message (e.g. every quiet-hours violation). */
export function RefusalList({ error }) {
  if (!(error instanceof ApiError) || !error.problem) return null;
  const p = error.problem;
  const rows = [p.violations, p.conflicts, p.details?.violations].find(Array.isArray) ?? [];
  // One row says what the message above already says.
  if (rows.length < 2) return null;
  return html`<div class="card conflicts">
    <h3>${p.code === "quiet_hours" ? t("conflict.quietTitle") : t("conflict.title")}</h3>
    <ul>${rows.slice(0, 30).map((r) => html`<li>${refusalLine(r)}</li>`)}</ul>
    ${rows.length > 30 ? html`<p class="muted">${t("conflict.more", { n: rows.length - 30 })}</p>` : null}
  </div>`;
}

async function putFirst(b, otherId) {
  const other = await get(`/api/v1/broadcasts/${encodeURIComponent(otherId)}`);
  const theirs = other.broadcast.order;
  // A broadcast with an order goes before one without; lower goes first.
  const order = typeof theirs === "number" ? theirs - 1 : 0;
  await patch(`/api/v1/broadcasts/${encodeURIComponent(b.id)}`, { order });
}

export function Conflicts({ b, conflicts, canOrder, onOrdered, onError }) {
  if (!conflicts || conflicts.length === 0) return null;
  const order = async (otherId) => {
    try {
      await putFirst(b, otherId);
      onOrdered();
    } catch (err) {
      onError(err);
    }
  };
  return html`<section class="card conflicts" aria-labelledby="conflicts-title">
    <h2 id="conflicts-title">${t("conflict.title")}</h2>
    <p class="hint">${t("conflict.hint")}</p>
    <ul class="plain">${conflicts.slice(0, 30).map((c) => {
      const mineFirst = c.first.broadcastId === b.id;
      const other = mineFirst ? c.second : c.first;
      return html`<li data-conflict=${c.deviceId}>
        <strong>${deviceName(c.deviceId)}</strong> · ${fmtDateTime(c.first.at)} ·
        ${t("conflict.overlap", { dur: fmtDuration(c.overlapMs) })} ·
        <a href=${`#/broadcasts/${encodeURIComponent(other.broadcastId)}`}>${t("conflict.other")}</a> ·
        ${mineFirst ? t("conflict.mineFirst", { rule: t(`conflict.rule.${c.rule}`) }) : t("conflict.otherFirst", { rule: t(`conflict.rule.${c.rule}`) })}
        ${canOrder && !mineFirst && c.rule !== "emergency" && c.rule !== "priority"
          ? html` <button type="button" class="btn btn-small" onClick=${() => order(other.broadcastId)}>${t("conflict.putFirst")}</button>`
          : null}
      </li>`;
    })}</ul>
  </section>`;
}
