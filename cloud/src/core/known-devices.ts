import type { Catalog } from "../ports/store.js";

const indexes = new WeakMap<readonly { id: string }[], ReadonlyMap<string, { id: string }>>();

/**
 * A catalogue collection by id, built once per array: the catalogue replaces a collection on every change
 * and never mutates it (adapters/store/catalog-draft.ts), so the index cannot go stale. Hot paths (every
 * MQTT CONNECT, every message) look records up here instead of scanning the list.
 */
export function indexById<T extends { id: string }>(list: readonly T[]): ReadonlyMap<string, T> {
  let index = indexes.get(list);
  if (!index) {
    index = new Map(list.map((x) => [x.id, x]));
    indexes.set(list, index);
  }
  return index as ReadonlyMap<string, T>;
}

/** Is `id` a provisioned device? */
export function knownDevices(catalog: Pick<Catalog, "data">): (id: string) => boolean {
  return (id) => indexById(catalog.data().devices).has(id);
}
