/**
 * `GET /api/v1/devices` in pages (ARCHITECTURE §7): the devices of a scope in name order (Vietnamese
 * collation, then id), `limit` at a time after an opaque cursor, as `/api/v1/plays` pages. A listing of
 * 10,000 receivers in one answer blocked the event loop ~200 ms (docs/performance.md, ingest); a page now
 * costs one pass of Set lookups over the sorted catalogue plus the views of its own items.
 */
import type { Device, DeviceState } from "@loa/shared";
import { decodeCursorKey, encodeCursorKey } from "../../core/cursor.js";

const collator = new Intl.Collator("vi");

/** Name order; the id breaks ties (names are unique per area only), so the order is total and a cursor exact. */
export function compareDevices(a: Pick<Device, "name" | "id">, b: Pick<Device, "name" | "id">): number {
  return collator.compare(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The catalogue replaces its devices array on every change to a device, so the sorted copy is kept per array. */
const sortedCache = new WeakMap<readonly Device[], readonly Device[]>();

export function devicesByName(devices: readonly Device[]): readonly Device[] {
  let sorted = sortedCache.get(devices);
  if (!sorted) {
    sorted = [...devices].sort(compareDevices);
    sortedCache.set(devices, sorted);
  }
  return sorted;
}

type CursorKey = [name: string, id: string];

const isDeviceKey = (v: unknown): v is CursorKey => Array.isArray(v) && v.length === 2 && typeof v[0] === "string" && typeof v[1] === "string";

export function encodeDeviceCursor(d: Pick<Device, "name" | "id">): string {
  return encodeCursorKey([d.name, d.id] satisfies CursorKey);
}

/** The key of the last device of the previous page; a cursor not made here is a 422 (InvalidCursorError). */
export function decodeDeviceCursor(cursor: string): CursorKey {
  return decodeCursorKey(cursor, isDeviceKey);
}

/** Index of the first device strictly after `key` in `sorted` (binary search: the key's device may be gone). */
function after(sorted: readonly Device[], key: CursorKey): number {
  const probe = { name: key[0], id: key[1] };
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const d = sorted[mid];
    if (d && compareDevices(d, probe) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface DevicePageQuery {
  /** Area ids the devices must hang in (the caller's scope, narrowed by `areaId`). */
  within: ReadonlySet<string>;
  /** With `stateOf`: only devices in that state. */
  state?: DeviceState;
  stateOf: (d: Device) => DeviceState;
  cursor?: string;
  limit: number;
}

export interface DevicePage {
  items: Device[];
  nextCursor: string | null;
  /** Devices matching the filters over all pages. */
  total: number;
}

/** One page of the catalogue's devices; the records themselves, the caller builds the views of these only. */
export function pageDevices(devices: readonly Device[], q: DevicePageQuery): DevicePage {
  const sorted = devicesByName(devices);
  const start = q.cursor === undefined ? 0 : after(sorted, decodeDeviceCursor(q.cursor));
  const items: Device[] = [];
  let total = 0;
  let more = false;
  for (let i = 0; i < sorted.length; i++) {
    const d = sorted[i];
    if (!d || !q.within.has(d.areaId) || (q.state !== undefined && q.stateOf(d) !== q.state)) continue;
    total++;
    if (i < start) continue;
    if (items.length < q.limit) items.push(d);
    else more = true;
  }
  const last = items[items.length - 1];
  return { items, nextCursor: more && last ? encodeDeviceCursor(last) : null, total };
}
