/**
 * The plan as the receiver stores it (ARCHITECTURE §3 `plan`): the shared schema's types and check for what
 * is read back from disk, plus the diff between two plans.
 */
import { PlanPayload, type MediaRef, type PlanItem as ProtocolPlanItem } from "@loa/shared";

/** The plan is the protocol's (shared/src/protocol/plan.ts); these names stay for the store's callers. */
export type PlanMedia = MediaRef;
export type PlanItem = ProtocolPlanItem;
export type Plan = PlanPayload;

/** `v` as a Plan when it passes the shared PlanPayload schema (unique playIds included); null otherwise. */
export function parsePlan(v: unknown): Plan | null {
  const res = PlanPayload.safeParse(v);
  return res.success ? res.data : null;
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
