/**
 * The plan as the receiver stores it (ARCHITECTURE §3 `plan`): local types and a minimal shape check for
 * what is read back from disk, plus the diff between two plans.
 */

// TODO(protocol): swap Plan/PlanItem/PlanMedia and parsePlan for PlanPayload/PlanItem/MediaRef from
// @loa/shared (shared/src/protocol/plan.ts): `PlanPayload.safeParse(v)` replaces parsePlan.
export interface PlanMedia {
  sha256: string;
  bytes: number;
  chunkSize: number;
  durationMs: number;
  codec: string;
}

export interface PlanItem {
  playId: string;
  /** Planned start, ISO UTC. */
  at: string;
  priority: "normal" | "priority" | "emergency";
  volume?: number;
  media: PlanMedia;
}

export interface Plan {
  version: number;
  serverTime: string;
  items: PlanItem[];
}

const PRIORITIES: readonly unknown[] = ["normal", "priority", "emergency"];

/** `v` as a Plan when it has the plan's shape and unique playIds; null otherwise. */
export function parsePlan(v: unknown): Plan | null {
  if (typeof v !== "object" || v === null) return null;
  const p = v as Record<string, unknown>;
  if (!Number.isSafeInteger(p.version) || (p.version as number) < 0) return null;
  if (typeof p.serverTime !== "string" || !Array.isArray(p.items)) return null;
  const seen = new Set<string>();
  for (const item of p.items as unknown[]) {
    if (!isItem(item) || seen.has(item.playId)) return null;
    seen.add(item.playId);
  }
  return v as Plan;
}

function isItem(v: unknown): v is PlanItem {
  if (typeof v !== "object" || v === null) return false;
  const i = v as Record<string, unknown>;
  const m = i.media as Record<string, unknown> | null | undefined;
  return (
    typeof i.playId === "string" &&
    i.playId.length > 0 &&
    typeof i.at === "string" &&
    !Number.isNaN(Date.parse(i.at)) &&
    PRIORITIES.includes(i.priority) &&
    (i.volume === undefined || typeof i.volume === "number") &&
    typeof m === "object" &&
    m !== null &&
    typeof m.sha256 === "string" &&
    typeof m.bytes === "number" &&
    typeof m.chunkSize === "number" &&
    typeof m.durationMs === "number" &&
    typeof m.codec === "string"
  );
}

/** playIds that joined, left, or changed what or when they play. */
export function diffPlans(old: Plan | null, next: Plan): { added: string[]; removed: string[]; changed: string[] } {
  const before = new Map((old?.items ?? []).map((i) => [i.playId, i]));
  const after = new Set(next.items.map((i) => i.playId));
  const added: string[] = [];
  const changed: string[] = [];
  for (const item of next.items) {
    const prev = before.get(item.playId);
    if (!prev) added.push(item.playId);
    else if (itemKey(prev) !== itemKey(item)) changed.push(item.playId);
  }
  const removed = [...before.keys()].filter((id) => !after.has(id));
  return { added, removed, changed };
}

function itemKey(i: PlanItem): string {
  return JSON.stringify([Date.parse(i.at), i.priority, i.volume ?? null, i.media.sha256]);
}
