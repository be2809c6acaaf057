import { describe, expect, it } from "vitest";
import { resolveTargets, unknownTargets } from "./index.js";
import { areaTree, devices } from "./scheduling.fixture.js";

describe("resolveTargets", () => {
  const areas = areaTree();
  const devs = devices();

  it("expands an area through its subtree", () => {
    expect(resolveTargets({ areaIds: ["c1"], deviceIds: [] }, areas, devs)).toEqual(["d1", "d2", "d3", "d4"]);
    expect(resolveTargets({ areaIds: ["v1"], deviceIds: [] }, areas, devs)).toEqual(["d1", "d2"]);
    expect(resolveTargets({ areaIds: ["p1"], deviceIds: [] }, areas, devs)).toEqual(["d1", "d2", "d3", "d4", "d5"]);
  });

  it("adds explicit devices, once each, in catalogue order", () => {
    expect(resolveTargets({ areaIds: ["v1"], deviceIds: ["d5", "d1"] }, areas, devs)).toEqual(["d1", "d2", "d5"]);
    expect(resolveTargets({ areaIds: ["v1", "c1", "v1"], deviceIds: ["d2"] }, areas, devs)).toEqual(["d1", "d2", "d3", "d4"]);
  });

  it("ignores unknown ids and reports them separately", () => {
    const targets = { areaIds: ["nope", "v3"], deviceIds: ["ghost"] };
    expect(resolveTargets(targets, areas, devs)).toEqual(["d5"]);
    expect(unknownTargets(targets, areas, devs)).toEqual({ areaIds: ["nope"], deviceIds: ["ghost"] });
  });

  it("targets nothing when empty", () => {
    expect(resolveTargets({}, areas, devs)).toEqual([]);
  });
});
