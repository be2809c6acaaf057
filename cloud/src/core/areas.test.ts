import { describe, expect, it } from "vitest";
import type { Area } from "@loa/shared";
import { AreaIndex, checkChildKind } from "./areas.js";
import { UnprocessableError } from "./errors.js";

const tree: Area[] = [
  { id: "P", name: "P", parentId: null, kind: "province", tz: "Asia/Ho_Chi_Minh" },
  { id: "C1", name: "C1", parentId: "P", kind: "commune", tz: "Asia/Bangkok" },
  { id: "V1", name: "V1", parentId: "C1", kind: "village" },
  { id: "C2", name: "C2", parentId: "P", kind: "commune" },
  { id: "V2", name: "V2", parentId: "C2", kind: "village" },
];

describe("AreaIndex", () => {
  const idx = new AreaIndex(tree);

  it("answers subtree questions", () => {
    expect(idx.isWithin("V1", "C1")).toBe(true);
    expect(idx.isWithin("V1", "P")).toBe(true);
    expect(idx.isWithin("C1", "C1")).toBe(true);
    expect(idx.isWithin("V2", "C1")).toBe(false);
    expect(idx.isWithin("C1", "V1")).toBe(false);
    expect(idx.isWithin("ghost", "P")).toBe(false);
    expect([...idx.subtreeIds("C1")].sort()).toEqual(["C1", "V1"]);
    expect(idx.subtreeIds("ghost").size).toBe(0);
    expect(idx.ancestry("V1").map((a) => a.id)).toEqual(["V1", "C1", "P"]);
  });

  it("inherits the time zone from the nearest ancestor", () => {
    expect(idx.zoneOf("V1")).toBe("Asia/Bangkok");
    expect(idx.zoneOf("V2")).toBe("Asia/Ho_Chi_Minh");
  });

  it("survives a cycle in a hand-edited catalogue", () => {
    const loop = new AreaIndex([
      { id: "A", name: "A", parentId: "B", kind: "commune" },
      { id: "B", name: "B", parentId: "A", kind: "district" },
    ]);
    expect(loop.isWithin("A", "P")).toBe(false);
    expect(loop.ancestry("A").map((a) => a.id)).toEqual(["A", "B"]);
  });
});

describe("checkChildKind", () => {
  it("allows strictly lower kinds, skipping levels, and refuses the rest", () => {
    expect(() => checkChildKind({ kind: "province", name: "P" }, "commune")).not.toThrow();
    expect(() => checkChildKind({ kind: "commune", name: "C" }, "village")).not.toThrow();
    expect(() => checkChildKind({ kind: "commune", name: "C" }, "commune")).toThrow(UnprocessableError);
    expect(() => checkChildKind({ kind: "village", name: "V" }, "district")).toThrow(/cannot be placed under the village "V"/);
  });
});
