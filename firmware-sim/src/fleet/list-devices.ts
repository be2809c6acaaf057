/**
 * Every device the token can see: `GET /api/v1/devices` is paged (ARCHITECTURE §7; `limit` up to 1000 and
 * an opaque `nextCursor`), and a fleet that reads only the first page would take the receivers on the
 * others for forgotten ones and provision them again.
 */
import { DEVICE_PAGE_MAX, DeviceList, type DeviceView } from "@loa/shared";
import type { RestClient } from "./rest-client.js";

/** Bounds the walk should a cloud keep answering with a cursor (a million devices at the largest page). */
const MAX_PAGES = 1000;

export async function listAllDevices(api: RestClient): Promise<DeviceView[]> {
  const all: DeviceView[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`;
    const list: DeviceList = await api.get(`/api/v1/devices?limit=${DEVICE_PAGE_MAX}${query}`, DeviceList);
    all.push(...list.items);
    cursor = list.nextCursor;
    if (cursor === null) return all;
  }
  return all;
}
