/**
 * Roles and scoping (ARCHITECTURE §2): a user acts only inside the subtree of its area.
 * admin: everything in the subtree; staff: bulletins and broadcasts; operator: devices and commands,
 * read-only for broadcasts. Everyone may read the area tree of their subtree (the panel needs it to pick
 * targets), and staff may read devices (to target them).
 *
 * Outside the subtree: reads answer 404 (what you may not see does not exist for you), writes answer 403.
 */
import type { ApiPermission, Role, User } from "@loa/shared";
import type { AreaIndex } from "../areas.js";
import { ForbiddenError, NotFoundError } from "../errors.js";

export type Action = ApiPermission;

const STAFF: readonly Action[] = [
  "areas.read",
  "devices.read",
  "bulletins.read",
  "bulletins.write",
  "broadcasts.read",
  "broadcasts.write",
  "plays.read",
];
const OPERATOR: readonly Action[] = [
  "areas.read",
  "devices.read",
  "devices.write",
  "devices.command",
  "bulletins.read",
  "broadcasts.read",
  "plays.read",
];
const ADMIN: readonly Action[] = [...new Set<Action>([...STAFF, ...OPERATOR, "areas.write", "users.read", "users.write"])];

const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Action>>> = {
  admin: new Set(ADMIN),
  staff: new Set(STAFF),
  operator: new Set(OPERATOR),
};

/** Who may create whom: nobody grants a role above their own. */
export const ROLE_RANK: Readonly<Record<Role, number>> = { admin: 2, staff: 1, operator: 1 };

export type Actor = Pick<User, "id" | "username" | "role" | "areaId">;

export function can(role: Role, action: Action): boolean {
  return ROLE_PERMISSIONS[role].has(action);
}

export function permissionsOf(role: Role): Action[] {
  return [...ROLE_PERMISSIONS[role]].sort();
}

function isRead(action: Action): boolean {
  return action.endsWith(".read");
}

/** Whether `areaId` lies in the actor's subtree (no role check). */
export function inScope(areas: AreaIndex, actor: Actor, areaId: string): boolean {
  return areas.isWithin(areaId, actor.areaId);
}

/**
 * The one gate every route passes: throws ForbiddenError when the role lacks `action`, and for a resource
 * outside the actor's subtree NotFoundError (reads) or ForbiddenError (writes). `what` names the resource
 * in messages, e.g. `device dev_12ab`.
 */
export function authorize(areas: AreaIndex, actor: Actor, action: Action, resourceAreaId: string, what = "resource"): void {
  requirePermission(actor, action);
  if (inScope(areas, actor, resourceAreaId)) return;
  if (isRead(action)) throw new NotFoundError(what);
  throw new ForbiddenError(`${what} is outside your area`, { action, areaId: resourceAreaId });
}

/** Throws ForbiddenError unless the role has `action` (for routes without an area, e.g. lists). */
export function requirePermission(actor: Actor, action: Action): void {
  if (!can(actor.role, action)) {
    throw new ForbiddenError(`the ${actor.role} role may not do ${action}`, { action, role: actor.role });
  }
}
