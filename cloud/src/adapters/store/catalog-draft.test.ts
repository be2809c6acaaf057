import { describe, expect, it } from "vitest";
import { emptyCatalog, type CatalogData } from "../../ports/store.js";
import { cloneJson, makeDraft } from "./catalog-draft.js";
import { CatalogInvalidError } from "./errors.js";
import { sampleDevice } from "./store-test-kit.fixture.js";

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function base(): CatalogData {
  return deepFreeze({
    ...emptyCatalog(),
    devices: [sampleDevice(1), sampleDevice(2)],
    areas: [{ id: "village-1", name: "Thôn Một", parentId: null, kind: "village" }],
    meta: { plan: { "dev-1": 3 } },
  });
}

describe("makeDraft", () => {
  it("copies only what the change touches and never mutates the base", () => {
    const b = base(); // frozen: any write to it would throw
    const { draft, commit } = makeDraft(b);
    draft.devices[0]!.name = "Loa mới";
    draft.devices.splice(1, 1);
    (draft.meta.plan as Record<string, number>)["dev-1"] = 4;
    const next = commit();
    expect(next.devices.map((d) => [d.id, d.name])).toEqual([["dev-1", "Loa mới"]]);
    expect(next.meta).toEqual({ plan: { "dev-1": 4 } });
    expect(b.devices.map((d) => d.name)).toEqual(["Loa thôn 1", "Loa thôn 2"]);
    expect(next.areas).toBe(b.areas); // untouched: shared, not copied
    expect(next.devices).not.toBe(b.devices);
  });

  it("accepts a whole collection assigned, and validates it with the key in the message", () => {
    const { draft, commit } = makeDraft(base());
    draft.users = [{ id: "u1" } as CatalogData["users"][number]];
    expect(commit).toThrow(CatalogInvalidError);
    expect(commit).toThrow(/users\.0\.username/);
  });

  it("fills schema defaults on the touched collection, as a reload would", () => {
    const { draft, commit } = makeDraft(base());
    draft.broadcasts.push({
      id: "b1",
      bulletinId: "bu1",
      targets: { areaIds: ["village-1"] } as CatalogData["broadcasts"][number]["targets"],
      priority: "normal",
      when: { now: true },
      status: "active",
      areaId: "village-1",
      createdBy: "u1",
      createdAt: "2026-11-01T00:00:00.000Z",
    });
    expect(commit().broadcasts[0]?.targets).toEqual({ areaIds: ["village-1"], deviceIds: [] });
  });
});

describe("cloneJson", () => {
  it("deep-copies plain data, drops undefined fields, keeps non-plain objects' types", () => {
    const date = new Date(0);
    const src = { a: [1, { b: "x", u: undefined }], d: date, n: null };
    const copy = cloneJson(src);
    expect(copy).toEqual({ a: [1, { b: "x" }], d: date, n: null });
    expect(copy.a).not.toBe(src.a);
    expect(copy.a[1]).not.toBe(src.a[1]);
    expect(copy.d).toBeInstanceOf(Date);
    expect(copy.d).not.toBe(date);
  });
});
