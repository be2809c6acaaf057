/**
 * Live device state (ARCHITECTURE §2 "live health kept in memory", §3 status/telemetry): online/offline
 * from birth and will, last seen, last telemetry and active amplifier faults. Fed by the MQTT client's
 * typed handlers; read by the REST API through the DeviceLive port; change events feed the SSE stream.
 */
import type { Clock, EventsPayload, StatusPayload, TelemetryPayload } from "@loa/shared";
import type { Logger } from "pino";
import type { DeviceFault, DeviceHealth, DeviceLive } from "../ports/devices-live.js";

export interface DeviceSnapshot extends DeviceHealth {
  deviceId: string;
  profile?: string;
  /** ISO time the agent process started (from the birth). */
  startedAt?: string;
  /** Epoch ms of the last online/offline transition seen, or null when only a retained status was seen. */
  changedAt: number | null;
  /**
   * Epoch ms (cloud clock) the current boot's birth first arrived live; null when it was only seen retained
   * (the cloud started after it). The device's own `startedAt` can be far off before it has synced time.
   */
  bootSeenAt: number | null;
}

export type PresenceChangeReason = "online" | "offline" | "telemetry" | "faults" | "forgotten";

export interface PresenceChange {
  deviceId: string;
  reason: PresenceChangeReason;
  snapshot: DeviceSnapshot;
}

export interface StatusMeta {
  /** A retained copy replayed by the broker at subscribe time: says nothing about when the device was last heard. */
  retained: boolean;
}

export interface PresenceDeps {
  clock: Clock;
  log: Logger;
  /** Drops a device's MQTT sessions (the embedded broker's `revoke`); absent with an external broker. */
  revoke?: (deviceId: string) => void | Promise<void>;
}

interface State {
  online: boolean;
  lastSeen: number | null;
  bootId?: string;
  agentVersion?: string;
  profile?: string;
  startedAt?: string;
  changedAt: number | null;
  bootSeenAt: number | null;
  telemetry: TelemetryPayload | null;
  faults: Map<string, DeviceFault>;
}

export class Presence implements DeviceLive {
  private readonly states = new Map<string, State>();
  private readonly listeners = new Set<(change: PresenceChange) => void>();
  private readonly log: Logger;
  /** Wills ignored because their bootId was not the current birth's (ARCHITECTURE §3). */
  ignoredWills = 0;

  constructor(private readonly deps: PresenceDeps) {
    this.log = deps.log.child({ ns: "cloud.presence" });
  }

  /** Birth → online; will → offline only when it belongs to the current boot. */
  onStatus(deviceId: string, status: StatusPayload, meta: StatusMeta = { retained: false }): void {
    const s = this.state(deviceId);
    if (!meta.retained) this.seen(deviceId);
    if (status.online) {
      const changed = !s.online || s.bootId !== status.bootId;
      if (s.bootId !== status.bootId) s.bootSeenAt = meta.retained ? null : this.deps.clock.now();
      Object.assign(s, { online: true, bootId: status.bootId, agentVersion: status.agentVersion, profile: status.profile, startedAt: status.startedAt });
      if (changed) this.transition(deviceId, s, "online", meta);
      return;
    }
    if (s.bootId !== undefined && s.bootId !== status.bootId) {
      // A late will of an earlier boot: the device has already reconnected with a new bootId.
      this.ignoredWills++;
      this.log.info({ deviceId, willBootId: status.bootId, currentBootId: s.bootId }, "late will ignored");
      return;
    }
    const changed = s.online || s.bootId === undefined;
    s.online = false;
    s.bootId = status.bootId;
    if (changed) this.transition(deviceId, s, "offline", meta);
  }

  onTelemetry(deviceId: string, telemetry: TelemetryPayload): void {
    const s = this.state(deviceId);
    this.seen(deviceId);
    s.telemetry = telemetry;
    const current = new Set(telemetry.amp.faults);
    if (!telemetry.amp.reachable) current.add("unreachable");
    const faultsChanged = this.replaceFaults(s, current);
    this.emit(deviceId, faultsChanged ? "faults" : "telemetry");
  }

  /** Amplifier faults raised and cleared between telemetry samples. */
  onEvents(deviceId: string, batch: EventsPayload): void {
    const s = this.state(deviceId);
    this.seen(deviceId);
    let changed = false;
    for (const e of batch.events) {
      if (e.type === "amp_fault" && !s.faults.has(e.code)) {
        s.faults.set(e.code, { code: e.code, detail: e.detail, since: e.ts });
        changed = true;
      } else if (e.type === "amp_recovered") {
        changed = s.faults.delete(e.code) || changed;
      }
    }
    if (changed) this.emit(deviceId, "faults");
  }

  /** Any message from the device (valid or not) proves it is alive. */
  seen(deviceId: string, at: number = this.deps.clock.now()): void {
    const s = this.state(deviceId);
    s.lastSeen = Math.max(s.lastSeen ?? 0, at);
  }

  snapshot(deviceId: string): DeviceSnapshot | undefined {
    const s = this.states.get(deviceId);
    return s ? toSnapshot(deviceId, s) : undefined;
  }

  /** Every device heard of, for dashboards and the initial SSE state. */
  snapshots(): DeviceSnapshot[] {
    return [...this.states].map(([id, s]) => toSnapshot(id, s));
  }

  /** Devices online, and those of them with a fault, among the ids `include` accepts; copies nothing (metrics). */
  liveCounts(include: (deviceId: string) => boolean): { online: number; fault: number } {
    let online = 0;
    let fault = 0;
    for (const [id, s] of this.states) {
      if (!s.online || !include(id)) continue;
      online++;
      if (s.faults.size > 0) fault++;
    }
    return { online, fault };
  }

  /** DeviceLive port. */
  health(deviceId: string): DeviceHealth | undefined {
    return this.snapshot(deviceId);
  }

  /** DeviceLive port: token rotated or device deleted. */
  async revoke(deviceId: string): Promise<void> {
    await this.deps.revoke?.(deviceId);
  }

  /** The device was deleted: forget its state. */
  forget(deviceId: string): void {
    const s = this.states.get(deviceId);
    if (!s) return;
    this.states.delete(deviceId);
    this.notify({ deviceId, reason: "forgotten", snapshot: toSnapshot(deviceId, s) });
  }

  /** Subscribe to changes; returns the unsubscribe function. */
  onChange(listener: (change: PresenceChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private state(deviceId: string): State {
    let s = this.states.get(deviceId);
    if (!s) {
      s = { online: false, lastSeen: null, changedAt: null, bootSeenAt: null, telemetry: null, faults: new Map() };
      this.states.set(deviceId, s);
    }
    return s;
  }

  private transition(deviceId: string, s: State, reason: "online" | "offline", meta: StatusMeta): void {
    if (!meta.retained) s.changedAt = this.deps.clock.now();
    this.log.info({ deviceId, bootId: s.bootId, retained: meta.retained }, reason === "online" ? "device online" : "device offline");
    this.emit(deviceId, reason);
  }

  /** Keep `since` and `detail` of faults still active; drop cleared ones. */
  private replaceFaults(s: State, codes: ReadonlySet<string>): boolean {
    let changed = false;
    for (const code of [...s.faults.keys()]) {
      if (!codes.has(code)) changed = s.faults.delete(code) || changed;
    }
    for (const code of codes) {
      if (s.faults.has(code)) continue;
      s.faults.set(code, { code, since: this.deps.clock.now() });
      changed = true;
    }
    return changed;
  }

  private emit(deviceId: string, reason: PresenceChangeReason): void {
    const snapshot = this.snapshot(deviceId);
    if (snapshot) this.notify({ deviceId, reason, snapshot });
  }

  private notify(change: PresenceChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.log.error({ err, deviceId: change.deviceId }, "presence listener failed");
      }
    }
  }
}

function toSnapshot(deviceId: string, s: State): DeviceSnapshot {
  const snap: DeviceSnapshot = {
    deviceId,
    online: s.online,
    lastSeen: s.lastSeen,
    changedAt: s.changedAt,
    bootSeenAt: s.bootSeenAt,
    telemetry: s.telemetry ? structuredClone(s.telemetry) : null,
    faults: [...s.faults.values()].map((f) => ({ ...f })),
  };
  if (s.bootId !== undefined) snap.bootId = s.bootId;
  if (s.agentVersion !== undefined) snap.agentVersion = s.agentVersion;
  if (s.profile !== undefined) snap.profile = s.profile;
  if (s.startedAt !== undefined) snap.startedAt = s.startedAt;
  return snap;
}
