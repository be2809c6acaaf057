/**
 * The demo's broadcasts (ARCHITECTURE §2 Broadcast, §7 `/api/v1/broadcasts`): the morning programme at
 * 06:00 every day (kept across runs), and one a minute from now on every run, whose confirmation by every
 * receiver the demo waits for.
 */
import { BroadcastCreated, BroadcastList } from "@loa/shared";
import type { RestClient } from "../fleet/rest-client.js";

/** 06:00:00 every day, six-field cron as the scheduler reads it. */
export const DAILY_CRON = "0 0 6 * * *";
export const DEMO_TZ = "Asia/Ho_Chi_Minh";

/** The daily morning broadcast of `bulletinId`, created unless an active one exists. */
export async function ensureDailyBroadcast(api: RestClient, bulletinId: string, areaIds: readonly string[]): Promise<{ id: string; created: boolean }> {
  const existing = (await api.get("/api/v1/broadcasts", BroadcastList)).items;
  const found = existing.find((b) => b.bulletinId === bulletinId && "cron" in b.when && b.when.cron === DAILY_CRON && b.status !== "cancelled");
  if (found) return { id: found.id, created: false };
  const body = { bulletinId, targets: { areaIds: [...areaIds], deviceIds: [] }, priority: "normal", when: { cron: DAILY_CRON, tz: DEMO_TZ } };
  const { broadcast } = await api.post("/api/v1/broadcasts", { json: body }, BroadcastCreated);
  return { id: broadcast.id, created: true };
}

/** A one-off broadcast of `bulletinId` at `at` (whole second) to `areaIds`. */
export async function scheduleAt(api: RestClient, bulletinId: string, areaIds: readonly string[], at: Date): Promise<string> {
  const body = { bulletinId, targets: { areaIds: [...areaIds], deviceIds: [] }, priority: "normal", when: { at: at.toISOString() } };
  return (await api.post("/api/v1/broadcasts", { json: body }, BroadcastCreated)).broadcast.id;
}

/** `now + leadMs`, rounded up to the next whole second (a time people read on the panel). */
export function soon(now: number, leadMs: number): Date {
  return new Date(Math.ceil((now + leadMs) / 1000) * 1000);
}
