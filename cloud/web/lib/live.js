// Receivers as the panel sees them: the REST list, kept current by the stream's presence, health and
// fault events, plus the telemetry samples this tab received live (the detail page's charts start from
// GET /api/v1/devices/:id/telemetry and append these).
import { get, query } from "./api.js";
import { createStore } from "./store.js";
import { onStream } from "./stream.js";

export const devicesStore = createStore({ loaded: false, byId: new Map(), error: null });
const HISTORY = 120;
const history = new Map();

function sampleOf(device) {
  const t = device.health?.telemetry;
  if (!t) return null;
  return {
    at: Date.now(),
    ampTemp: t.amp?.temperatureC ?? null,
    volume: t.amp?.volume ?? null,
    cpuTemp: t.cpuTempC ?? null,
    clockOffset: t.clockOffsetMs ?? null,
  };
}

function remember(id, sample) {
  if (!sample) return;
  const list = history.get(id) ?? [];
  list.push(sample);
  if (list.length > HISTORY) list.splice(0, list.length - HISTORY);
  history.set(id, list);
}

export function historyOf(id) {
  return history.get(id) ?? [];
}

function put(device) {
  devicesStore.set((s) => {
    const byId = new Map(s.byId);
    byId.set(device.id, device);
    return { ...s, byId };
  });
}

/**
 * Every receiver in the user's scope: the list is paged (docs/api.md), and the panel keeps the whole fleet
 * (the devices table, the home counts, the target pickers read it), so follow the cursor, 1000 a page.
 */
async function listAllDevices() {
  const out = [];
  let cursor;
  for (let page = 0; page < 1000; page++) {
    const res = await get(`/api/v1/devices${query({ cursor, limit: 1000 })}`);
    out.push(...res.items);
    cursor = res.nextCursor;
    if (!cursor) break;
  }
  return out;
}

export async function loadDevices() {
  try {
    const items = await listAllDevices();
    const byId = new Map(items.map((d) => [d.id, d]));
    for (const d of items) if (!history.has(d.id)) remember(d.id, sampleOf(d));
    devicesStore.set({ loaded: true, byId, error: null });
  } catch (err) {
    devicesStore.set((s) => ({ ...s, loaded: true, error: err }));
  }
}

export async function reloadDevice(id) {
  const d = await get(`/api/v1/devices/${encodeURIComponent(id)}`);
  put(d);
  return d;
}

function patchDevice(id, fn) {
  const d = devicesStore.get().byId.get(id);
  if (!d) {
    // A device we have not listed yet (provisioned elsewhere): fetch it once.
    reloadDevice(id).catch(() => undefined);
    return;
  }
  put(fn(d));
}

function onPresence(data) {
  if (data.removed) {
    devicesStore.set((s) => {
      const byId = new Map(s.byId);
      byId.delete(data.deviceId);
      return { ...s, byId };
    });
    return;
  }
  patchDevice(data.deviceId, (d) => ({
    ...d,
    state: data.state,
    health: { ...d.health, online: data.online, lastSeenAt: data.lastSeenAt ?? d.health.lastSeenAt, agentVersion: data.agentVersion ?? d.health.agentVersion },
  }));
}

/** Health events carry a summary of the telemetry: merge it into the last full telemetry we have. */
function onHealth(data) {
  patchDevice(data.deviceId, (d) => {
    const old = d.health.telemetry ?? {};
    const telemetry = {
      ...old,
      amp: { ...(old.amp ?? {}), ...(data.amp ?? {}) },
      playing: data.playing ?? null,
      ...(data.cpuTempC !== undefined ? { cpuTempC: data.cpuTempC } : {}),
      ...(data.clockOffsetMs !== undefined ? { clockOffsetMs: data.clockOffsetMs } : {}),
      ...(data.outboxDepth !== undefined ? { outboxDepth: data.outboxDepth } : {}),
    };
    const next = {
      ...d,
      state: data.state,
      health: { ...d.health, online: data.online, lastSeenAt: data.lastSeenAt ?? d.health.lastSeenAt, faults: data.faults ?? d.health.faults, telemetry },
    };
    remember(d.id, sampleOf(next));
    return next;
  });
}

function onFault(data) {
  patchDevice(data.deviceId, (d) => {
    const faults = data.faults ?? d.health.faults;
    const state = d.health.online ? (faults.length > 0 ? "fault" : "online") : "offline";
    return { ...d, state, health: { ...d.health, faults } };
  });
}

let wired = false;
export function wireLiveDevices() {
  if (wired) return;
  wired = true;
  onStream("presence", onPresence);
  onStream("health", onHealth);
  onStream("fault", onFault);
}

export function resetLive() {
  devicesStore.set({ loaded: false, byId: new Map(), error: null });
  history.clear();
}
