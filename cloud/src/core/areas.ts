/**
 * The area tree (ARCHITECTURE §2: province > district > commune > village) and the subtree questions
 * scoping asks. Built per request from the catalogue, so it never goes stale.
 */
import type { Area, AreaKind } from "@loa/shared";
import { DEFAULT_TZ } from "@loa/shared";
import { UnprocessableError } from "./errors.js";

/** Lower rank = higher in the tree. */
export const AREA_KIND_RANK: Readonly<Record<AreaKind, number>> = { province: 0, district: 1, commune: 2, village: 3 };

/** Kinds a receiver may be attached to (ARCHITECTURE §2 Device.areaId). */
export const DEVICE_AREA_KINDS: readonly AreaKind[] = ["village", "commune"];

/**
 * A child must sit strictly below its parent. Levels may be skipped (a commune directly under the
 * province): Vietnam's 2025 reform removed districts, and older trees still have them.
 */
export function checkChildKind(parent: Pick<Area, "kind" | "name">, childKind: AreaKind): void {
  if (AREA_KIND_RANK[childKind] <= AREA_KIND_RANK[parent.kind]) {
    throw new UnprocessableError(
      `a ${childKind} cannot be placed under the ${parent.kind} "${parent.name}": ` +
        "the order is province > district > commune > village",
      { parentKind: parent.kind, kind: childKind },
    );
  }
}

export class AreaIndex {
  private readonly byId = new Map<string, Area>();
  private readonly children = new Map<string, Area[]>();

  constructor(areas: readonly Area[]) {
    for (const a of areas) this.byId.set(a.id, a);
    for (const a of areas) {
      if (a.parentId === null) continue;
      const list = this.children.get(a.parentId) ?? [];
      list.push(a);
      this.children.set(a.parentId, list);
    }
  }

  get(id: string): Area | undefined {
    return this.byId.get(id);
  }

  childrenOf(id: string): readonly Area[] {
    return this.children.get(id) ?? [];
  }

  /** `id` itself, then its parent, up to the root. Stops on a cycle rather than looping. */
  ancestry(id: string): Area[] {
    const out: Area[] = [];
    const seen = new Set<string>();
    let cur = this.byId.get(id);
    while (cur && !seen.has(cur.id)) {
      out.push(cur);
      seen.add(cur.id);
      cur = cur.parentId === null ? undefined : this.byId.get(cur.parentId);
    }
    return out;
  }

  /** True when `id` is `rootId` or lies below it. Unknown ids are in nobody's subtree. */
  isWithin(id: string, rootId: string): boolean {
    return this.ancestry(id).some((a) => a.id === rootId);
  }

  /** The ids of `rootId` and everything below it. */
  subtreeIds(rootId: string): Set<string> {
    const out = new Set<string>();
    if (!this.byId.has(rootId)) return out;
    const stack = [rootId];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (out.has(id)) continue;
      out.add(id);
      for (const c of this.childrenOf(id)) stack.push(c.id);
    }
    return out;
  }

  /** The zone in force for an area: its own, else the nearest ancestor's, else the default. */
  zoneOf(id: string): string {
    return this.ancestry(id).find((a) => a.tz !== undefined)?.tz ?? DEFAULT_TZ;
  }
}
