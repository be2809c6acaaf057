// Quản trị — khu vực: the area tree (ARCHITECTURE §2) with add, rename, quiet hours and delete.
import { html, useState } from "../lib/html.js";
import { del, patch, post } from "../lib/api.js";
import { Confirm, ErrorBox, Field, Page } from "../lib/components.js";
import { KINDS, areasStore, loadAreas } from "../lib/areas.js";
import { useStore } from "../lib/store.js";
import { t } from "../i18n.js";

export function AdminScreen({ can }) {
  const areas = useStore(areasStore);
  const [error, setError] = useState(null);
  const [editing, setEditing] = useState(null);
  const [adding, setAdding] = useState(null);
  const [removing, setRemoving] = useState(null);
  const done = async () => {
    setEditing(null);
    setAdding(null);
    setError(null);
    await loadAreas();
  };
  const remove = async () => {
    const a = removing;
    setRemoving(null);
    try {
      await del(`/api/v1/areas/${encodeURIComponent(a.id)}`);
      await done();
    } catch (err) {
      setError(err);
    }
  };
  const node = (a) => {
    const kids = areas.children.get(a.id) ?? [];
    const canAdd = KINDS.indexOf(a.kind) < KINDS.length - 1;
    return html`<li key=${a.id} data-area=${a.id}>
      <div class="tree-row admin-row">
        <span class="grow"><strong>${a.name}</strong> <span class="muted">${t(`kind.${a.kind}`)}</span>
          ${a.quietHours ? html` <span class="badge">${t("admin.quiet", { start: a.quietHours.start, end: a.quietHours.end })}</span>` : null}</span>
        ${canAdd ? html`<button type="button" class="btn btn-small" onClick=${() => setAdding(a)}>${t("admin.addChild")}</button>` : null}
        <button type="button" class="btn btn-small" onClick=${() => setEditing(a)}>${t("admin.edit")}</button>
        ${a.parentId ? html`<button type="button" class="btn btn-small btn-ghost danger" onClick=${() => setRemoving(a)}>${t("common.delete")}</button>` : null}
      </div>
      ${adding?.id === a.id ? html`<${AreaForm} parent=${a} onDone=${done} onCancel=${() => setAdding(null)} />` : null}
      ${editing?.id === a.id ? html`<${AreaForm} area=${a} onDone=${done} onCancel=${() => setEditing(null)} />` : null}
      ${kids.length > 0 ? html`<ul>${kids.map(node)}</ul>` : null}
    </li>`;
  };
  const actions = can("users.read") ? html`<a class="btn" href="#/admin/users">${t("admin.users")}</a>` : null;
  return html`<${Page} title=${t("admin.heading")} actions=${actions}>
    <${ErrorBox} error=${error} />
    <ul class="tree admin-tree">${(areas.children.get(null) ?? []).map(node)}</ul>
    <${Confirm} open=${removing !== null} title=${t("admin.deleteTitle")} body=${removing ? t("admin.deleteBody", { name: removing.name }) : ""}
      confirmLabel=${t("common.delete")} danger onConfirm=${remove} onCancel=${() => setRemoving(null)} />
  <//>`;
}

function AreaForm({ parent, area, onDone, onCancel }) {
  const childKinds = parent ? KINDS.slice(KINDS.indexOf(parent.kind) + 1) : [];
  const [name, setName] = useState(area?.name ?? "");
  const [kind, setKind] = useState(childKinds[0] ?? "village");
  const [quiet, setQuiet] = useState(Boolean(area?.quietHours));
  const [start, setStart] = useState(area?.quietHours?.start ?? "22:00");
  const [end, setEnd] = useState(area?.quietHours?.end ?? "05:00");
  const [error, setError] = useState(null);
  const id = area ? `edit-${area.id}` : `add-${parent.id}`;
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    const quietHours = quiet ? { start, end } : null;
    try {
      if (area) await patch(`/api/v1/areas/${encodeURIComponent(area.id)}`, { name: name.trim(), quietHours });
      else await post("/api/v1/areas", { name: name.trim(), parentId: parent.id, kind, ...(quiet ? { quietHours } : {}) });
      await onDone();
    } catch (err) {
      setError(err);
    }
  };
  return html`<form class="card inline-form" onSubmit=${submit}>
    <${Field} id=${`${id}-name`} label=${t("admin.name")}>
      <input id=${`${id}-name`} required maxlength="200" value=${name} onInput=${(e) => setName(e.currentTarget.value)} />
    <//>
    ${parent ? html`<${Field} id=${`${id}-kind`} label=${t("admin.kind")}>
      <select id=${`${id}-kind`} value=${kind} onChange=${(e) => setKind(e.currentTarget.value)}>
        ${childKinds.map((k) => html`<option value=${k}>${t(`kind.${k}`)}</option>`)}
      </select>
    <//>` : null}
    <label class="check"><input type="checkbox" checked=${quiet} onChange=${(e) => setQuiet(e.currentTarget.checked)} /> ${t("admin.quietHours")}</label>
    ${quiet ? html`<div class="row">
      <${Field} id=${`${id}-qs`} label=${t("admin.quietStart")}><input id=${`${id}-qs`} type="time" value=${start} onInput=${(e) => setStart(e.currentTarget.value)} /><//>
      <${Field} id=${`${id}-qe`} label=${t("admin.quietEnd")}><input id=${`${id}-qe`} type="time" value=${end} onInput=${(e) => setEnd(e.currentTarget.value)} /><//>
    </div>` : null}
    <${ErrorBox} error=${error} />
    <div class="row"><button class="btn btn-primary" type="submit">${t("common.save")}</button>
      <button class="btn btn-ghost" type="button" onClick=${onCancel}>${t("common.cancel")}</button></div>
  </form>`;
}
