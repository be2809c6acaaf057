// Bản tin: make bulletins and list them with duration, loudness, who made it, and a preview player.
import { html, useState } from "../lib/html.js";
import { del, get } from "../lib/api.js";
import { Confirm, Empty, ErrorBox, Loading, Page, useAsync } from "../lib/components.js";
import { areaName } from "../lib/areas.js";
import { BulletinCreate } from "./bulletin-create.js";
import { t } from "../i18n.js";
import { fmtDateTime, fmtDuration, fmtLufs } from "../lib/format.js";

export function BulletinsScreen({ can }) {
  const list = useAsync(() => get("/api/v1/bulletins"), []);
  const [created, setCreated] = useState(null);
  const [playing, setPlaying] = useState(null);
  const [removing, setRemoving] = useState(null);
  const [error, setError] = useState(null);
  const onCreated = (b) => {
    setCreated(b);
    setPlaying(b.id);
    list.reload();
  };
  const remove = async () => {
    const b = removing;
    setRemoving(null);
    try {
      await del(`/api/v1/bulletins/${encodeURIComponent(b.id)}`);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  const items = list.data?.items ?? [];
  return html`<${Page} title=${t("bulletins.heading")}>
    ${can("bulletins.write") ? html`<${BulletinCreate} onCreated=${onCreated} />` : null}
    ${created ? html`<div class="alert alert-ok" role="status">
      <p>${t("bulletins.created", { title: created.title })}</p>
      ${can("broadcasts.write") ? html`<a class="btn btn-primary" href=${`#/broadcasts/new?bulletin=${encodeURIComponent(created.id)}`}>${t("bulletins.broadcastIt")}</a>` : null}
    </div>` : null}
    <${ErrorBox} error=${error ?? list.error} />
    <h2>${t("bulletins.list")}</h2>
    ${list.loading && !list.data ? html`<${Loading} />` : null}
    ${list.data && items.length === 0 ? html`<${Empty}>${t("bulletins.none")}<//>` : null}
    <ul class="cards bulletin-list">
      ${items.map((b) => html`<${BulletinItem} key=${b.id} b=${b} playing=${playing === b.id} onPlay=${() => setPlaying(playing === b.id ? null : b.id)}
        onDelete=${can("bulletins.write") ? () => setRemoving(b) : null} canBroadcast=${can("broadcasts.write")} />`)}
    </ul>
    <${Confirm} open=${removing !== null} title=${t("bulletins.deleteTitle")} body=${removing ? t("bulletins.deleteBody", { title: removing.title }) : ""}
      confirmLabel=${t("common.delete")} danger onConfirm=${remove} onCancel=${() => setRemoving(null)} />
  <//>`;
}

function BulletinItem({ b, playing, onPlay, onDelete, canBroadcast }) {
  return html`<li class="card bulletin" data-id=${b.id}>
    <div class="bulletin-head">
      <h3 class="bulletin-title">${b.title}</h3>
      <span class="badge">${t(`source.${b.source}`)}</span>
    </div>
    <dl class="facts">
      <div><dt>${t("bulletins.duration")}</dt><dd>${fmtDuration(b.durationMs)}</dd></div>
      <div><dt>${t("bulletins.loudness")}</dt><dd>${fmtLufs(b.loudnessLufs)}</dd></div>
      <div><dt>${t("bulletins.by")}</dt><dd>${b.createdByUsername ?? t("common.deletedUser")}</dd></div>
      <div><dt>${t("bulletins.when")}</dt><dd>${fmtDateTime(b.createdAt)}</dd></div>
      <div><dt>${t("bulletins.area")}</dt><dd>${areaName(b.areaId)}</dd></div>
    </dl>
    ${b.text ? html`<details><summary>${t("bulletins.text")}</summary><p class="tts-text">${b.text}</p></details>` : null}
    ${playing ? html`<audio controls autoplay preload="auto" src=${b.audioUrl} aria-label=${t("bulletins.previewOf", { title: b.title })}></audio>` : null}
    <div class="row">
      <button type="button" class="btn" aria-pressed=${playing} onClick=${onPlay}>${playing ? t("bulletins.hide") : t("bulletins.listen")}</button>
      ${canBroadcast ? html`<a class="btn" href=${`#/broadcasts/new?bulletin=${encodeURIComponent(b.id)}`}>${t("bulletins.broadcastIt")}</a>` : null}
      ${onDelete ? html`<button type="button" class="btn btn-ghost danger" onClick=${onDelete}>${t("common.delete")}</button>` : null}
    </div>
  </li>`;
}
