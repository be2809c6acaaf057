/**
 * Test data for the scheduling tests: an area tree (province > commune > villages), receivers, a bulletin
 * and a broadcast builder. Not part of the build (`*.fixture.ts`).
 */
import type { Area, Broadcast, Bulletin, Device } from "@loa/shared";

export const ISO = (ms: number): string => new Date(ms).toISOString();
export const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number => Date.UTC(y, mo - 1, d, h, mi, s);

export function area(id: string, parentId: string | null, kind: Area["kind"], extra: Partial<Area> = {}): Area {
  return { id, name: extra.name ?? id, parentId, kind, ...extra };
}

/** province p1 > commune c1 "Tân Phú" (quiet 22:00–05:00) > villages v1, v2 (v2 clears them); commune c2 > v3. */
export function areaTree(): Area[] {
  return [
    area("p1", null, "province", { name: "Đồng Nai" }),
    area("c1", "p1", "commune", { name: "Tân Phú", quietHours: { start: "22:00", end: "05:00" } }),
    area("v1", "c1", "village", { name: "Thôn 1" }),
    area("v2", "c1", "village", { name: "Thôn 2", quietHours: null }),
    area("c2", "p1", "commune", { name: "Xã Phú Lý" }),
    area("v3", "c2", "village", { name: "Ấp 3" }),
  ];
}

export function device(id: string, areaId: string): Device {
  return { id, name: id, areaId, profile: "loa-amp-v1", tokenHash: "x", createdAt: "2026-01-01T00:00:00.000Z" };
}

/** d1, d2 in v1; d3 in v2; d4 in c1 itself; d5 in v3. */
export function devices(): Device[] {
  return [device("d1", "v1"), device("d2", "v1"), device("d3", "v2"), device("d4", "c1"), device("d5", "v3")];
}

export function bulletin(id = "bul1", durationMs = 60_000): Bulletin {
  return {
    id,
    title: id,
    sha256: "a".repeat(64),
    bytes: 100_000,
    durationMs,
    codec: "opus",
    loudnessLufs: -16,
    source: "upload",
    areaId: "p1",
    createdBy: "u1",
    createdAt: "2026-01-01T00:00:00.000Z",
  };
}

export function broadcast(id: string, when: Broadcast["when"], extra: Partial<Broadcast> = {}): Broadcast {
  return {
    id,
    bulletinId: "bul1",
    targets: { areaIds: [], deviceIds: [] },
    priority: "normal",
    when,
    status: "active",
    areaId: "p1",
    createdBy: "u1",
    createdAt: "2026-01-01T00:00:00.000Z",
    ...extra,
  };
}
