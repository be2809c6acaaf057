import type { Catalog } from "../ports/store.js";

/** Is `id` a provisioned device? The id set is rebuilt only when the catalogue's device list changes. */
export function knownDevices(catalog: Pick<Catalog, "data">): (id: string) => boolean {
  let list: unknown;
  let ids = new Set<string>();
  return (id) => {
    const devices = catalog.data().devices;
    if (devices !== list) {
      list = devices;
      ids = new Set(devices.map((d) => d.id));
    }
    return ids.has(id);
  };
}
