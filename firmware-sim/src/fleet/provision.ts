/**
 * Provisioning for `loa-sim fleet` (ARCHITECTURE §9: "provisions what it lacks through the REST API").
 *
 * Decisions (docs/simulator.md):
 * - The cloud's device list is the truth: a remembered receiver the cloud no longer knows (deleted in the
 *   panel, or another cloud) is forgotten and replaced by a newly provisioned one.
 * - A remembered receiver whose token the broker refuses (rotated in the panel) gets its token rotated
 *   through `POST /devices/:id/token` (`rotateToken`), keeping its id, outbox seq and media cache.
 * - New receivers are named `sim-001`, `sim-002`, … (unique per area) and spread over the target areas,
 *   each going to the area that has the fewest. The state file is saved after every single provisioning,
 *   because the cloud shows a token only once.
 */
import { AreaList, DeviceCreated, DeviceTokenRotated, type Area } from "@loa/shared";
import type { Logger } from "pino";
import { listAllDevices } from "./list-devices.js";
import { CloudApiError, type RestClient } from "./rest-client.js";
import { receiversOf, type FleetReceiverRecord, type FleetState } from "./state-file.js";

export interface ProvisionDeps {
  api: RestClient;
  state: FleetState;
  /** Persist the state (called after every change). */
  save: (state: FleetState) => Promise<void>;
  log: Logger;
  now?: () => Date;
}

export interface ProvisionRequest {
  count: number;
  /** Areas (villages or communes) to place receivers in; default every visible village, else every commune. */
  areaIds?: readonly string[];
  /** Amplifier profile for new receivers (default: the cloud's). */
  profile?: string;
  namePrefix?: string;
}

export interface ProvisionResult {
  receivers: FleetReceiverRecord[];
  reused: number;
  provisioned: number;
  /** Remembered ids the cloud no longer knows. */
  forgotten: string[];
}

/** Make sure `count` receivers exist in the cloud and in the state; returns the ones to run. */
export async function ensureReceivers(deps: ProvisionDeps, req: ProvisionRequest): Promise<ProvisionResult> {
  const devices = await listAllDevices(deps.api);
  const known = new Set(devices.map((d) => d.id));
  const forgotten = receiversOf(deps.state)
    .filter((r) => !known.has(r.deviceId))
    .map((r) => r.deviceId);
  for (const id of forgotten) delete deps.state.receivers[id];
  if (forgotten.length > 0) {
    deps.log.warn({ forgotten }, `${forgotten.length} remembered receiver(s) unknown to the cloud: forgotten, new ones will be provisioned`);
    await deps.save(deps.state);
  }
  const wanted = req.areaIds && req.areaIds.length > 0 ? new Set(req.areaIds) : undefined;
  const reusable = receiversOf(deps.state).filter((r) => !wanted || wanted.has(r.areaId));
  const chosen = reusable.slice(0, req.count);
  const reused = chosen.length;
  const missing = req.count - reused;
  if (missing > 0) {
    const areas = await targetAreas(deps.api, req.areaIds);
    const taken = devices.map((d) => ({ areaId: d.areaId, name: d.name }));
    for (let i = 0; i < missing; i++) {
      const areaId = leastUsedArea(areas, Object.values(deps.state.receivers));
      const rec = await provisionOne(deps, areaId, taken, req);
      taken.push({ areaId, name: rec.name });
      chosen.push(rec);
    }
  }
  return { receivers: chosen, reused, provisioned: chosen.length - reused, forgotten };
}

/** Ids of the areas to place new receivers in, checked against what the token may see. */
async function targetAreas(api: RestClient, areaIds: readonly string[] | undefined): Promise<string[]> {
  const areas = (await api.get("/api/v1/areas", AreaList)).items;
  if (areaIds && areaIds.length > 0) {
    const byId = new Map(areas.map((a) => [a.id, a]));
    for (const id of areaIds) {
      const a = byId.get(id);
      if (!a) throw new CloudApiError("area_not_found", 404, `area ${id} does not exist or is outside the token's area`);
      if (a.kind !== "village" && a.kind !== "commune") throw new CloudApiError("area_invalid", 422, `area ${id} is a ${a.kind}; receivers hang in a village or a commune`);
    }
    return [...areaIds];
  }
  const pick = (kind: Area["kind"]): string[] => areas.filter((a) => a.kind === kind).map((a) => a.id);
  const villages = pick("village");
  const found = villages.length > 0 ? villages : pick("commune");
  if (found.length === 0) throw new CloudApiError("area_not_found", 404, "the cloud has no village or commune to place receivers in; create one or give --area");
  return found;
}

/** The target area with the fewest receivers among `placed` (first one on a tie). */
export function leastUsedArea(areaIds: readonly string[], placed: readonly { areaId: string }[]): string {
  let best = areaIds[0];
  let bestCount = Number.POSITIVE_INFINITY;
  for (const id of areaIds) {
    const n = placed.filter((p) => p.areaId === id).length;
    if (n < bestCount) [best, bestCount] = [id, n];
  }
  if (best === undefined) throw new Error("no target area");
  return best;
}

/** The first `<prefix>-NNN` not used in `areaId`. */
export function nextFreeName(prefix: string, areaId: string, taken: readonly { areaId: string; name: string }[]): string {
  const used = new Set(taken.filter((t) => t.areaId === areaId).map((t) => t.name.toLowerCase()));
  for (let n = 1; ; n++) {
    const name = `${prefix}-${String(n).padStart(3, "0")}`;
    if (!used.has(name.toLowerCase())) return name;
  }
}

async function provisionOne(deps: ProvisionDeps, areaId: string, taken: { areaId: string; name: string }[], req: ProvisionRequest): Promise<FleetReceiverRecord> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const name = nextFreeName(req.namePrefix ?? "sim", areaId, taken);
    try {
      const created = await deps.api.post("/api/v1/devices", { json: { name, areaId, ...(req.profile ? { profile: req.profile } : {}) } }, DeviceCreated);
      const rec: FleetReceiverRecord = {
        deviceId: created.device.id,
        name,
        areaId,
        token: created.token,
        edgeConfig: created.edgeConfig,
        provisionedAt: (deps.now?.() ?? new Date()).toISOString(),
      };
      deps.state.receivers[rec.deviceId] = rec;
      await deps.save(deps.state);
      deps.log.info({ deviceId: rec.deviceId, name, areaId }, "receiver provisioned");
      return rec;
    } catch (err) {
      // Someone else took the name between our list and our POST: try the next one.
      if (!(err instanceof CloudApiError) || err.status !== 409) throw err;
      taken.push({ areaId, name });
    }
  }
  throw new CloudApiError("device_conflict", 409, `could not find a free receiver name in area ${areaId}`);
}

/** New token for a remembered receiver whose token the broker refused; saved at once. */
export async function rotateToken(deps: ProvisionDeps, deviceId: string): Promise<FleetReceiverRecord> {
  const rec = deps.state.receivers[deviceId];
  if (!rec) throw new CloudApiError("device_not_found", 404, `receiver ${deviceId} is not in the fleet's state`);
  const rotated = await deps.api.post(`/api/v1/devices/${encodeURIComponent(deviceId)}/token`, undefined, DeviceTokenRotated);
  const next = { ...rec, token: rotated.token, edgeConfig: rotated.edgeConfig };
  deps.state.receivers[deviceId] = next;
  await deps.save(deps.state);
  deps.log.warn({ deviceId }, "receiver token refused by the broker: rotated");
  return next;
}
