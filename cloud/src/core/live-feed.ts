/**
 * The live feed behind `GET /api/v1/stream` (ARCHITECTURE §7 "SSE: device presence and health, play
 * status, command results"): presence, command and play changes become small typed events, each naming the
 * device or broadcast it concerns so the stream can show every user only its own subtree.
 */
import { errorMessage, isoOf } from "@loa/shared";
import type { Logger } from "pino";
import type { CommandState } from "../ports/device-commands.js";
import type { DeviceSnapshot, PresenceChange } from "./presence.js";

export type LiveEventType = "presence" | "health" | "fault" | "command" | "play";

export interface LiveEvent {
  /** Increasing per process; the SSE `id:`. */
  id: number;
  type: LiveEventType;
  /** What the event is about; the stream scopes it through the device's (or broadcast's) area. */
  deviceId?: string;
  broadcastId?: string;
  data: Record<string, unknown>;
}

export type LiveEventInput = Omit<LiveEvent, "id">;
export type LiveListener = (event: LiveEvent) => void;

export class LiveFeed {
  private readonly listeners = new Set<LiveListener>();
  private nextId = 1;

  constructor(private readonly log: Logger) {}

  publish(input: LiveEventInput): void {
    const event: LiveEvent = { id: this.nextId++, ...input };
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.log.error({ err: errorMessage(err), type: event.type }, "live listener failed");
      }
    }
  }

  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }
}

const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : isoOf(ms));

/** `offline` wins over `fault` (the same rule as the REST device view). */
export function stateOfSnapshot(s: Pick<DeviceSnapshot, "online" | "faults">): "online" | "offline" | "fault" {
  if (!s.online) return "offline";
  return s.faults.length > 0 ? "fault" : "online";
}

export function presenceData(s: DeviceSnapshot, removed = false): Record<string, unknown> {
  return {
    deviceId: s.deviceId,
    online: removed ? false : s.online,
    state: removed ? "offline" : stateOfSnapshot(s),
    lastSeenAt: iso(s.lastSeen),
    changedAt: iso(s.changedAt),
    ...(s.bootId !== undefined ? { bootId: s.bootId } : {}),
    ...(s.agentVersion !== undefined ? { agentVersion: s.agentVersion } : {}),
    ...(removed ? { removed: true } : {}),
  };
}

/** The telemetry summary operators watch: amplifier state, faults, temperature, volume, what plays. */
export function healthData(s: DeviceSnapshot): Record<string, unknown> {
  const t = s.telemetry as { amp?: Record<string, unknown>; playing?: unknown; cpuTempC?: unknown; clockOffsetMs?: unknown; outboxDepth?: unknown } | null;
  const amp = t?.amp;
  const pick = (k: string): Record<string, unknown> => (amp && amp[k] !== undefined ? { [k]: amp[k] } : {});
  return {
    deviceId: s.deviceId,
    state: stateOfSnapshot(s),
    online: s.online,
    lastSeenAt: iso(s.lastSeen),
    amp: amp ? { ...pick("reachable"), ...pick("powered"), ...pick("muted"), ...pick("volume"), ...pick("temperatureC"), ...pick("faults") } : null,
    faults: s.faults.map((f) => ({ code: f.code, ...(f.detail !== undefined ? { detail: f.detail } : {}), ...(f.since !== undefined ? { since: iso(f.since) } : {}) })),
    playing: t?.playing ?? null,
    ...(t?.cpuTempC !== undefined ? { cpuTempC: t.cpuTempC } : {}),
    ...(t?.clockOffsetMs !== undefined ? { clockOffsetMs: t.clockOffsetMs } : {}),
    ...(t?.outboxDepth !== undefined ? { outboxDepth: t.outboxDepth } : {}),
  };
}

export function commandData(s: CommandState): Record<string, unknown> {
  return {
    cmdId: s.cmdId,
    deviceId: s.deviceId,
    type: s.type,
    status: s.status,
    ...(s.result !== undefined ? { result: s.result } : {}),
    ...(s.error !== undefined ? { error: s.error } : {}),
    createdAt: iso(s.createdAt),
    expiresAt: iso(s.expiresAt),
  };
}

/**
 * Presence changes → events: online/offline → `presence`; telemetry → `health`; a fault raised or cleared →
 * `health` and `fault` (with what changed); a deleted device → `presence` with `removed: true`.
 */
export class PresenceTranslator {
  private readonly lastFaults = new Map<string, ReadonlySet<string>>();

  constructor(private readonly feed: Pick<LiveFeed, "publish">) {}

  onChange(change: PresenceChange): void {
    const { deviceId, reason, snapshot } = change;
    if (reason === "forgotten") {
      this.lastFaults.delete(deviceId);
      this.feed.publish({ type: "presence", deviceId, data: presenceData(snapshot, true) });
      return;
    }
    if (reason === "online" || reason === "offline") {
      this.feed.publish({ type: "presence", deviceId, data: presenceData(snapshot) });
      return;
    }
    this.feed.publish({ type: "health", deviceId, data: healthData(snapshot) });
    if (reason === "faults") this.publishFaultDiff(snapshot);
  }

  private publishFaultDiff(s: DeviceSnapshot): void {
    const before = this.lastFaults.get(s.deviceId) ?? new Set<string>();
    const now = new Set(s.faults.map((f) => f.code));
    this.lastFaults.set(s.deviceId, now);
    const raised = [...now].filter((c) => !before.has(c));
    const cleared = [...before].filter((c) => !now.has(c));
    if (raised.length === 0 && cleared.length === 0) return;
    this.feed.publish({
      type: "fault",
      deviceId: s.deviceId,
      data: { deviceId: s.deviceId, raised, cleared, faults: healthData(s).faults },
    });
  }
}
