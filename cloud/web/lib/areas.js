// The area tree (ARCHITECTURE §2: province > district > commune > village), loaded once per session.
import { get } from "./api.js";
import { createStore } from "./store.js";

export const KINDS = ["province", "district", "commune", "village"];
export const areasStore = createStore({ loaded: false, list: [], byId: new Map(), children: new Map() });

export function indexAreas(list) {
  const byId = new Map(list.map((a) => [a.id, a]));
  const children = new Map();
  for (const a of list) {
    const key = a.parentId && byId.has(a.parentId) ? a.parentId : null;
    if (!children.has(key)) children.set(key, []);
    children.get(key).push(a);
  }
  for (const kids of children.values()) kids.sort((a, b) => a.name.localeCompare(b.name, "vi"));
  return { loaded: true, list, byId, children };
}

export async function loadAreas() {
  const { items } = await get("/api/v1/areas");
  areasStore.set(indexAreas(items));
}

export function areaName(id) {
  return areasStore.get().byId.get(id)?.name ?? id;
}

/** "Xã A › Thôn B": the path below the top the user can see, for labels. */
export function areaPath(id, depth = 2) {
  const { byId } = areasStore.get();
  const names = [];
  let a = byId.get(id);
  while (a && names.length < depth) {
    names.unshift(a.name);
    a = a.parentId ? byId.get(a.parentId) : undefined;
  }
  return names.join(" › ") || id;
}

/** Areas in tree order with their depth, for indented selects. */
export function flatTree() {
  const { children } = areasStore.get();
  const out = [];
  const walk = (parent, depth) => {
    for (const a of children.get(parent) ?? []) {
      out.push({ area: a, depth });
      walk(a.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

export function subtreeIds(id) {
  const { children } = areasStore.get();
  const out = new Set([id]);
  const walk = (p) => {
    for (const c of children.get(p) ?? []) {
      out.add(c.id);
      walk(c.id);
    }
  };
  walk(id);
  return out;
}
