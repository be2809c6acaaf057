// Targets from the area tree (ARCHITECTURE §2 targets.areaIds): tick a commune for all its villages, or
// single villages. A ticked area covers its subtree, so its children show as included and cannot be ticked.
import { html, useState } from "./html.js";
import { areasStore, subtreeIds } from "./areas.js";
import { useStore } from "./store.js";
import { devicesStore } from "./live.js";
import { t } from "../i18n.js";

export function coveredDevices(areaIds) {
  const within = new Set();
  for (const id of areaIds) for (const a of subtreeIds(id)) within.add(a);
  return [...devicesStore.get().byId.values()].filter((d) => within.has(d.areaId));
}

export function AreaPicker({ selected, onChange, idPrefix = "target" }) {
  const areas = useStore(areasStore);
  useStore(devicesStore);
  const [open, setOpen] = useState(() => new Set());
  const toggle = (id, on) => {
    const next = new Set(selected);
    if (on) {
      // Ticking an area makes ticks below it redundant.
      for (const sub of subtreeIds(id)) next.delete(sub);
      next.add(id);
    } else next.delete(id);
    onChange([...next]);
  };
  const expand = (id) => {
    const next = new Set(open);
    next.has(id) ? next.delete(id) : next.add(id);
    setOpen(next);
  };
  const node = (a, depth, covered) => {
    const kids = areas.children.get(a.id) ?? [];
    const checked = covered || selected.includes(a.id);
    // The top levels start open so communes are one tap away; villages open on demand.
    const isOpen = open.has(a.id) !== (depth < 2 && a.kind !== "commune");
    const n = coveredDevices([a.id]).length;
    const cid = `${idPrefix}-${a.id}`;
    return html`<li key=${a.id}>
      <div class="tree-row">
        ${kids.length > 0
          ? html`<button type="button" class="tree-toggle" aria-expanded=${isOpen} aria-label=${t(isOpen ? "tree.collapse" : "tree.expand", { name: a.name })}
              onClick=${() => expand(a.id)}>${isOpen ? "▾" : "▸"}</button>`
          : html`<span class="tree-toggle" aria-hidden="true"></span>`}
        <input type="checkbox" id=${cid} checked=${checked} disabled=${covered} onChange=${(e) => toggle(a.id, e.currentTarget.checked)} />
        <label for=${cid}>${a.name} <span class="muted">${t(`kind.${a.kind}`)} · ${t("devices.count", { n })}</span></label>
      </div>
      ${kids.length > 0 && isOpen ? html`<ul>${kids.map((k) => node(k, depth + 1, checked))}</ul>` : null}
    </li>`;
  };
  const roots = areas.children.get(null) ?? [];
  return html`<ul class="tree" role="group" aria-label=${t("broadcasts.targets")}>${roots.map((r) => node(r, 0, false))}</ul>`;
}
