import { describe, expect, it } from "vitest";
import { AreaIndex } from "../areas.js";
import { ForbiddenError, NotFoundError } from "../errors.js";
import { authorize, can, permissionsOf, type Actor } from "./permissions.js";

const areas = new AreaIndex([
  { id: "P", name: "P", parentId: null, kind: "province" },
  { id: "C1", name: "C1", parentId: "P", kind: "commune" },
  { id: "C2", name: "C2", parentId: "P", kind: "commune" },
]);
const actor = (role: Actor["role"], areaId: string): Actor => ({ id: "u", username: "u", role, areaId });

describe("roles (ARCHITECTURE §2)", () => {
  it("staff: bulletins and broadcasts; operator: devices and commands, read-only broadcasts; admin: all", () => {
    expect(can("staff", "broadcasts.write")).toBe(true);
    expect(can("staff", "bulletins.write")).toBe(true);
    expect(can("staff", "devices.write")).toBe(false);
    expect(can("staff", "devices.command")).toBe(false);
    expect(can("operator", "devices.command")).toBe(true);
    expect(can("operator", "devices.write")).toBe(true);
    expect(can("operator", "broadcasts.read")).toBe(true);
    expect(can("operator", "broadcasts.write")).toBe(false);
    expect(can("operator", "users.read")).toBe(false);
    expect(permissionsOf("admin")).toHaveLength(12);
  });
});

describe("authorize", () => {
  it("passes inside the subtree", () => {
    expect(() => authorize(areas, actor("staff", "C1"), "broadcasts.write", "C1")).not.toThrow();
    expect(() => authorize(areas, actor("admin", "P"), "areas.write", "C2")).not.toThrow();
  });

  it("outside: reads are 404 (NotFoundError), writes 403 (ForbiddenError)", () => {
    expect(() => authorize(areas, actor("staff", "C1"), "broadcasts.read", "C2", "broadcast b")).toThrow(NotFoundError);
    expect(() => authorize(areas, actor("staff", "C1"), "broadcasts.write", "C2", "broadcast b")).toThrow(ForbiddenError);
    expect(() => authorize(areas, actor("admin", "C1"), "areas.read", "P")).toThrow(NotFoundError);
  });

  it("checks the role before the scope", () => {
    expect(() => authorize(areas, actor("staff", "C1"), "devices.command", "C2")).toThrow(/staff role may not do devices.command/);
  });
});
