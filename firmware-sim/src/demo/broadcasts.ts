/**
 * The demo's broadcasts (ARCHITECTURE §2 Broadcast, §7 `/api/v1/broadcasts`): the morning programme at
 * 06:00 every day (kept across runs), and one a minute from now on every run, whose confirmation by every
 * receiver the demo waits for.
 */
import type { RestClient, Schema } from "../fleet/rest-client.js";

/** 06:00:00 every day, six-field cron as the scheduler reads it. */
export const DAILY_CRON = "0 0 6 * * *";
export const DEMO_TZ = "Asia/Ho_Chi_Minh";

interface BroadcastRow {
  id: string;
  bulletinId: string;
  when: { cron?: string; at?: string; now?: boolean };
  status: string;
}

function broadcastOf(v: unknown): BroadcastRow | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const o = v as Record<string, unknown>;
  // The route may answer the record itself or wrap it ({broadcast: {...}}).
  if (typeof o["id"] !== "string" && typeof o["broadcast"] === "object") return broadcastOf(o["broadcast"]);
  if (typeof o["id"] !== "string" || typeof o["bulletinId"] !== "string" || typeof o["when"] !== "object" || o["when"] === null) return undefined;
  return { id: o["id"], bulletinId: o["bulletinId"], when: o["when"] as BroadcastRow["when"], status: String(o["status"] ?? "") };
}

const OneBroadcast: Schema<BroadcastRow> = {
  safeParse(value) {
    const b = broadcastOf(value);
    return b ? { success: true, data: b } : { success: false, error: { issues: [{ path: [], message: "expected a broadcast with id, bulletinId and when" }] } };
  },
};

const BroadcastRows: Schema<BroadcastRow[]> = {
  safeParse(value) {
    const items = (value as { items?: unknown } | null)?.items;
    if (!Array.isArray(items)) return { success: false, error: { issues: [{ path: ["items"], message: "expected a list" }] } };
    return { success: true, data: items.map(broadcastOf).filter((b): b is BroadcastRow => b !== undefined) };
  },
};

/** The daily morning broadcast of `bulletinId`, created unless an active one exists. */
export async function ensureDailyBroadcast(api: RestClient, bulletinId: string, areaIds: readonly string[]): Promise<{ id: string; created: boolean }> {
  const existing = await api.get("/api/v1/broadcasts", BroadcastRows);
  const found = existing.find((b) => b.bulletinId === bulletinId && b.when.cron === DAILY_CRON && b.status !== "cancelled");
  if (found) return { id: found.id, created: false };
  const body = { bulletinId, targets: { areaIds: [...areaIds], deviceIds: [] }, priority: "normal", when: { cron: DAILY_CRON, tz: DEMO_TZ } };
  const b = await api.post("/api/v1/broadcasts", { json: body }, OneBroadcast);
  return { id: b.id, created: true };
}

/** A one-off broadcast of `bulletinId` at `at` (whole second) to `areaIds`. */
export async function scheduleAt(api: RestClient, bulletinId: string, areaIds: readonly string[], at: Date): Promise<string> {
  const body = { bulletinId, targets: { areaIds: [...areaIds], deviceIds: [] }, priority: "normal", when: { at: at.toISOString() } };
  return (await api.post("/api/v1/broadcasts", { json: body }, OneBroadcast)).id;
}

/** `now + leadMs`, rounded up to the next whole second (a time people read on the panel). */
export function soon(now: number, leadMs: number): Date {
  return new Date(Math.ceil((now + leadMs) / 1000) * 1000);
}
