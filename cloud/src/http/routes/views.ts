/** Catalogue records as the API shows them: secrets and their hashes never leave the server. */
import type { ApiToken, ApiTokenView, Device, DeviceHealthView, DeviceState, DeviceView, User, UserView } from "@loa/shared";
import type { DeviceHealth, DeviceLive } from "../../ports/devices-live.js";

export function userView(u: User): UserView {
  const { passwordHash: _secret, ...view } = u;
  return view;
}

export function tokenView(t: ApiToken): ApiTokenView {
  return { id: t.id, name: t.name, createdAt: t.createdAt, ...(t.lastUsedAt ? { lastUsedAt: t.lastUsedAt } : {}) };
}

const UNKNOWN_HEALTH: DeviceHealth = { online: false, lastSeen: null, telemetry: null, faults: [] };

function healthView(h: DeviceHealth): DeviceHealthView {
  return {
    online: h.online,
    lastSeenAt: h.lastSeen === null ? null : new Date(h.lastSeen).toISOString(),
    ...(h.bootId !== undefined ? { bootId: h.bootId } : {}),
    ...(h.agentVersion !== undefined ? { agentVersion: h.agentVersion } : {}),
    telemetry: h.telemetry,
    faults: h.faults.map((f) => ({
      code: f.code,
      ...(f.detail !== undefined ? { detail: f.detail } : {}),
      ...(f.since !== undefined ? { since: new Date(f.since).toISOString() } : {}),
    })),
  };
}

/** Offline wins over fault: a fault last reported by a device that is gone is not current. */
export function stateOf(h: DeviceHealth): DeviceState {
  if (!h.online) return "offline";
  return h.faults.length > 0 ? "fault" : "online";
}

/** The state alone, without building the view (filters over a whole fleet). */
export function deviceStateOf(d: Pick<Device, "id">, live: DeviceLive | undefined): DeviceState {
  return stateOf(live?.health(d.id) ?? UNKNOWN_HEALTH);
}

export function deviceView(d: Device, live: DeviceLive | undefined): DeviceView {
  const { tokenHash: _secret, mqttHash: _mqttHash, ...rest } = d;
  const h = live?.health(d.id) ?? UNKNOWN_HEALTH;
  return { ...rest, state: stateOf(h), health: healthView(h) };
}
