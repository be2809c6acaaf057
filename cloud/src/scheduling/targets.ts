/**
 * Which receivers a broadcast reaches (ARCHITECTURE §2 Broadcast.targets): every device whose area is a
 * target area or lies below one, plus the devices named explicitly.
 */
import type { Area, Device, Targets } from "@loa/shared";
import { AreaIndex } from "../core/areas.js";

type TargetDevice = Pick<Device, "id" | "areaId">;

/**
 * Device ids, each once, in the order of `devices` (the catalogue's order), so the same inputs always give
 * the same list. Unknown area and device ids are ignored (see `unknownTargets`).
 */
export function resolveTargets(
  targets: Partial<Targets>,
  areas: readonly Area[] | AreaIndex,
  devices: readonly TargetDevice[],
): string[] {
  const index = areas instanceof AreaIndex ? areas : new AreaIndex(areas);
  const inAreas = new Set<string>();
  for (const areaId of targets.areaIds ?? []) for (const id of index.subtreeIds(areaId)) inAreas.add(id);
  const named = new Set(targets.deviceIds ?? []);
  return devices.filter((d) => named.has(d.id) || inAreas.has(d.areaId)).map((d) => d.id);
}

/** Target ids that name nothing in the catalogue (for a clear error when a broadcast is created). */
export function unknownTargets(
  targets: Partial<Targets>,
  areas: readonly Pick<Area, "id">[],
  devices: readonly Pick<Device, "id">[],
): { areaIds: string[]; deviceIds: string[] } {
  const areaIds = new Set(areas.map((a) => a.id));
  const deviceIds = new Set(devices.map((d) => d.id));
  return {
    areaIds: (targets.areaIds ?? []).filter((id) => !areaIds.has(id)),
    deviceIds: (targets.deviceIds ?? []).filter((id) => !deviceIds.has(id)),
  };
}
