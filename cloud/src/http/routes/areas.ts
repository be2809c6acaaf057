/** The area tree (ARCHITECTURE §2, §7 `GET/POST /api/v1/areas`, `GET/PATCH/DELETE /api/v1/areas/:id`). */
import { Area, AreaCreateBody, AreaList, AreaPatchBody, newId } from "@loa/shared";
import { AREA_KIND_RANK, AreaIndex, checkChildKind } from "../../core/areas.js";
import { ConflictError, NotFoundError, UnprocessableError } from "../../core/errors.js";
import type { CatalogData } from "../../ports/store.js";
import type { ApiRouter, Call, RouteContext } from "../api-router.js";
import { AUTH_ERRORS, PROBLEM } from "./docs.js";

const TAG = "areas";

function sameName(a: string, b: string): boolean {
  return a.trim().localeCompare(b.trim(), "vi", { sensitivity: "base" }) === 0;
}

/** The area after the gate: 404 when unknown, then as `authorize` (404 read / 403 write outside scope). */
function visibleArea(call: Call<unknown, unknown>, id: string, action: "areas.read" | "areas.write"): Area {
  const area = call.areas().get(id);
  if (!area) throw new NotFoundError(`area ${id}`);
  call.authorize(action, area.id, `area ${id}`);
  return area;
}

/** Why an area cannot go: what still hangs on it. Empty when it can be deleted. */
function usesOf(draft: CatalogData, id: string): string[] {
  const count = (n: number, what: string) => (n > 0 ? [`${n} ${what}`] : []);
  return [
    ...count(draft.areas.filter((a) => a.parentId === id).length, "child area(s)"),
    ...count(draft.devices.filter((d) => d.areaId === id).length, "device(s)"),
    ...count(draft.users.filter((u) => u.areaId === id).length, "user(s)"),
    ...count(draft.bulletins.filter((b) => b.areaId === id).length, "bulletin(s)"),
    ...count(draft.broadcasts.filter((b) => b.areaId === id || b.targets.areaIds.includes(id)).length, "broadcast(s)"),
  ];
}

export function registerAreaRoutes(api: ApiRouter, ctx: RouteContext): void {
  api.add({
    method: "get",
    path: "/api/v1/areas",
    summary: "The caller's subtree of the area tree, top-down",
    tag: TAG,
    responses: { 200: { description: "areas", schema: AreaList }, ...AUTH_ERRORS },
    handler: (call) => {
      call.requirePermission("areas.read");
      const ids = call.areas().subtreeIds(call.actor.user.areaId);
      const items = ctx.catalog
        .data()
        .areas.filter((a) => ids.has(a.id))
        .sort((a, b) => AREA_KIND_RANK[a.kind] - AREA_KIND_RANK[b.kind] || a.name.localeCompare(b.name, "vi"));
      return { status: 200, body: { items } };
    },
  });

  api.add({
    method: "post",
    path: "/api/v1/areas",
    summary: "Create an area under a parent in the caller's subtree (strictly lower kind)",
    tag: TAG,
    body: AreaCreateBody,
    responses: {
      201: { description: "created", schema: Area },
      ...AUTH_ERRORS,
      409: PROBLEM("a sibling has the same name"),
      422: PROBLEM("invalid body, unknown parent or wrong kind for the parent"),
    },
    handler: async (call) => {
      const b = call.body;
      if (!call.areas().get(b.parentId)) throw new UnprocessableError(`parent area ${b.parentId} does not exist`);
      call.authorize("areas.write", b.parentId, `area ${b.parentId}`);
      const area: Area = {
        id: newId("area"),
        name: b.name,
        parentId: b.parentId,
        kind: b.kind,
        ...(b.quietHours !== undefined ? { quietHours: b.quietHours } : {}),
        ...(b.tz !== undefined ? { tz: b.tz } : {}),
      };
      await ctx.catalog.update((draft) => {
        const parent = new AreaIndex(draft.areas).get(b.parentId);
        if (!parent) throw new UnprocessableError(`parent area ${b.parentId} does not exist`);
        checkChildKind(parent, b.kind);
        if (draft.areas.some((a) => a.parentId === parent.id && sameName(a.name, b.name))) {
          throw new ConflictError(`an area named "${b.name}" already exists in ${parent.name}`);
        }
        draft.areas.push(area);
      });
      await call.audit("area.create", { type: "area", id: area.id }, { name: area.name, kind: area.kind, parentId: area.parentId });
      return { status: 201, body: area };
    },
  });

  api.add({
    method: "get",
    path: "/api/v1/areas/:id",
    summary: "One area",
    tag: TAG,
    responses: { 200: { description: "the area", schema: Area }, ...AUTH_ERRORS, 404: PROBLEM("unknown or outside your area") },
    handler: (call) => ({ status: 200, body: visibleArea(call, call.param("id"), "areas.read") }),
  });

  api.add({
    method: "patch",
    path: "/api/v1/areas/:id",
    summary: "Rename an area, set or clear its quiet hours, set its time zone",
    tag: TAG,
    body: AreaPatchBody,
    responses: {
      200: { description: "updated", schema: Area },
      ...AUTH_ERRORS,
      404: PROBLEM("unknown area"),
      409: PROBLEM("a sibling has the same name"),
      422: PROBLEM("invalid body"),
    },
    handler: async (call) => {
      const id = call.param("id");
      visibleArea(call, id, "areas.write");
      const b = call.body;
      const updated = await ctx.catalog.update((draft) => {
        const area = draft.areas.find((a) => a.id === id);
        if (!area) throw new NotFoundError(`area ${id}`);
        if (b.name !== undefined && draft.areas.some((a) => a.id !== id && a.parentId === area.parentId && sameName(a.name, b.name ?? ""))) {
          throw new ConflictError(`an area named "${b.name}" already exists beside it`);
        }
        if (b.name !== undefined) area.name = b.name;
        if (b.quietHours !== undefined) area.quietHours = b.quietHours;
        if (b.tz !== undefined) area.tz = b.tz;
        return { ...area };
      });
      await call.audit("area.update", { type: "area", id }, { fields: Object.keys(b), ...b });
      return { status: 200, body: updated };
    },
  });

  api.add({
    method: "delete",
    path: "/api/v1/areas/:id",
    summary: "Delete an empty area (no children, devices, users, bulletins or broadcasts)",
    tag: TAG,
    responses: {
      204: { description: "deleted" },
      ...AUTH_ERRORS,
      404: PROBLEM("unknown area"),
      409: PROBLEM("the area is still in use"),
    },
    handler: async (call) => {
      const id = call.param("id");
      const area = visibleArea(call, id, "areas.write");
      await ctx.catalog.update((draft) => {
        const uses = usesOf(draft, id);
        if (uses.length > 0) {
          throw new ConflictError(`area "${area.name}" is still in use (${uses.join(", ")}): move or delete those first`, { uses });
        }
        draft.areas = draft.areas.filter((a) => a.id !== id);
      });
      await call.audit("area.delete", { type: "area", id }, { name: area.name, kind: area.kind });
      return { status: 204 };
    },
  });
}
