/**
 * What the demo waits for, seen from the cloud's REST API (the loop a newcomer should see, ARCHITECTURE §9):
 * every simulated receiver online, then the scheduled broadcast finished on every one of them.
 */
import { PlayList, type PlayView } from "@loa/shared";
import { listAllDevices } from "../fleet/list-devices.js";
import type { RestClient } from "../fleet/rest-client.js";

export interface WaitOptions {
  timeoutMs: number;
  /** Polling period (default 1000). */
  everyMs?: number;
  /** Resolves when the user gave up (Ctrl-C): the wait ends early. */
  interrupted: Promise<void>;
  /** Called with each new count. */
  progress?: (done: number, total: number) => void;
}

/** Poll `count` until it reaches `total`, the time is up, or the user interrupts; resolves with the last count. */
async function pollCount(count: () => Promise<number>, total: number, o: WaitOptions): Promise<number> {
  let stop = false;
  void o.interrupted.then(() => (stop = true));
  const end = Date.now() + o.timeoutMs;
  let last = -1;
  for (;;) {
    const n = await count().catch(() => last);
    if (n !== last) o.progress?.(Math.max(0, n), total);
    last = n;
    if (n >= total || stop || Date.now() > end) return Math.max(0, n);
    await Promise.race([new Promise((resolve) => setTimeout(resolve, o.everyMs ?? 1000)), o.interrupted]);
  }
}

/** How many of `deviceIds` the cloud shows online (state online or fault). */
export function waitOnline(api: RestClient, deviceIds: readonly string[], o: WaitOptions): Promise<number> {
  const ids = new Set(deviceIds);
  const count = async (): Promise<number> => {
    const devices = await listAllDevices(api);
    return devices.filter((d) => ids.has(d.id) && d.state !== "offline").length;
  };
  return pollCount(count, ids.size, o);
}

/** How many of `deviceIds` have a `finished` play of the broadcast (the proof of play, ARCHITECTURE §2). */
export function waitConfirmed(api: RestClient, broadcastId: string, deviceIds: readonly string[], o: WaitOptions): Promise<number> {
  const ids = new Set(deviceIds);
  const count = async (): Promise<number> => {
    const rows = await playsOf(api, broadcastId);
    return new Set(rows.filter((p) => p.status === "finished" && ids.has(p.deviceId)).map((p) => p.deviceId)).size;
  };
  return pollCount(count, ids.size, o);
}

/** The cloud's play records of a broadcast (GET /api/v1/plays, one page of up to 1,000). */
export async function playsOf(api: RestClient, broadcastId: string): Promise<PlayView[]> {
  return (await api.get(`/api/v1/plays?broadcastId=${encodeURIComponent(broadcastId)}&limit=1000`, PlayList)).items;
}

/** Spread of the real start times (ms), from the fleet's own record of when each sink started. */
export function startSkewMs(startedAtMs: readonly number[]): number {
  if (startedAtMs.length === 0) return 0;
  return Math.max(...startedAtMs) - Math.min(...startedAtMs);
}
