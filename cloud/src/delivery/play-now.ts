/**
 * `now` broadcasts also go out as `cmd play_now` (ARCHITECTURE §3 "Immediate and emergency plays use cmd
 * play_now and also enter the plan"): same playId as the plan's item, so the receiver plays it once, and
 * an `expiresAt` a few minutes ahead, so a receiver that comes back later does not play stale news (the
 * plan still has the play while it is in progress).
 *
 * Decision: an emergency scheduled for later (`at`, cron) is not pushed at its time; it is in the plan
 * with priority emergency, and the receiver pre-empts whatever plays at that second by its own clock.
 */
import { DEFAULT_CHUNK_SIZE, errorMessage, isoOf, newId, playIdOf, type Broadcast, type Clock } from "@loa/shared";
import type { Logger } from "pino";
import type { Catalog } from "../ports/store.js";
import { resolveTargets } from "../scheduling/targets.js";
import type { DeliveryBus } from "./bus.js";

export interface PlayNowDeps {
  catalog: Pick<Catalog, "data">;
  bus: Pick<DeliveryBus, "publishCmd">;
  clock: Clock;
  log: Logger;
  chunkSize?: number;
  /** How long a receiver may still start it; default 5 minutes. */
  ttlMs?: number;
}

export interface PlayNowResult {
  sent: string[];
  failed: string[];
}

export const DEFAULT_PLAY_NOW_TTL_MS = 5 * 60_000;

/** Send play_now for a `now` broadcast to every target device; other broadcasts send nothing. */
export async function sendPlayNow(deps: PlayNowDeps, b: Broadcast): Promise<PlayNowResult> {
  const out: PlayNowResult = { sent: [], failed: [] };
  if (!("now" in b.when) || b.status !== "active") return out;
  const data = deps.catalog.data();
  const bulletin = data.bulletins.find((x) => x.id === b.bulletinId);
  if (!bulletin) return out;
  const now = deps.clock.now();
  // The plan places a `now` play at its creation instant (scheduling/expand.ts); the same playId here.
  const playId = playIdOf(b.id, Math.min(Date.parse(b.createdAt), now));
  const media = { sha256: bulletin.sha256, bytes: bulletin.bytes, chunkSize: deps.chunkSize ?? DEFAULT_CHUNK_SIZE, durationMs: bulletin.durationMs, codec: bulletin.codec };
  const expiresAt = isoOf(now + (deps.ttlMs ?? DEFAULT_PLAY_NOW_TTL_MS));
  const args = { playId, media, priority: b.priority, ...(b.volume !== undefined ? { volume: b.volume } : {}) };
  await Promise.all(resolveTargets(b.targets, data.areas, data.devices).map(async (deviceId) => {
    try {
      await deps.bus.publishCmd(deviceId, { cmdId: newId("cmd"), type: "play_now", args, expiresAt });
      out.sent.push(deviceId);
    } catch (err) {
      out.failed.push(deviceId);
      deps.log.warn({ deviceId, broadcastId: b.id, err: errorMessage(err) }, "play_now not sent (the plan still has the play)");
    }
  }));
  return out;
}
