// Targets as people read them: area names (and device names) instead of ids.
import { areaName } from "./areas.js";
import { devicesStore } from "./live.js";
import { t } from "../i18n.js";

export function targetsText(targets) {
  const areas = (targets?.areaIds ?? []).map(areaName);
  const devices = (targets?.deviceIds ?? []).map((id) => devicesStore.get().byId.get(id)?.name ?? id);
  const parts = [...areas];
  if (devices.length > 0) parts.push(t("broadcasts.nDevices", { n: devices.length }));
  return parts.join(", ") || "—";
}

/** Map of bulletin id → bulletin from a `GET /bulletins` answer. */
export function bulletinIndex(data) {
  return new Map((data?.items ?? []).map((b) => [b.id, b]));
}
