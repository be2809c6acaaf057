/**
 * Users (ARCHITECTURE §2, §7 `GET/POST /api/v1/users`, `GET/PATCH/DELETE /api/v1/users/:id`): admins manage
 * the users of their subtree; nobody grants a role above their own; nobody demotes, moves, disables or
 * deletes themselves (so a subtree never loses its last admin by accident).
 */
import { newId, UserCreateBody, UserList, UserPatchBody, UserView, type Role, type User } from "@loa/shared";
import { hashPassword } from "../../core/auth/password.js";
import { ROLE_RANK } from "../../core/auth/permissions.js";
import { dropUserSessions } from "../../core/auth/sessions.js";
import { ConflictError, ForbiddenError, NotFoundError, UnprocessableError } from "../../core/errors.js";
import type { ApiRouter, Call, RouteContext } from "../api-router.js";
import { AUTH_ERRORS, PROBLEM } from "./docs.js";
import { userView } from "./views.js";

const TAG = "users";

function checkGrant(call: Call<unknown, unknown>, role: Role): void {
  if (ROLE_RANK[role] > ROLE_RANK[call.actor.user.role]) {
    throw new ForbiddenError(`a ${call.actor.user.role} cannot grant the ${role} role`);
  }
}

function checkTargetArea(call: Call<unknown, unknown>, areaId: string): void {
  if (!call.areas().get(areaId)) throw new UnprocessableError(`area ${areaId} does not exist`);
  call.authorize("users.write", areaId, `area ${areaId}`);
}

function checkSelfChange(call: Call<unknown, unknown>, target: User, b: UserPatchBody): void {
  if (target.id !== call.actor.user.id) return;
  const risky = (["role", "areaId", "disabled"] as const).filter((k) => b[k] !== undefined && b[k] !== target[k]);
  if (risky.length > 0) {
    throw new ConflictError(`you cannot change your own ${risky.join(", ")}: ask another admin`);
  }
}

function registerReads(api: ApiRouter, ctx: RouteContext): void {
  api.add({
    method: "get",
    path: "/api/v1/users",
    summary: "Users of the caller's subtree (admin)",
    tag: TAG,
    responses: { 200: { description: "users", schema: UserList }, ...AUTH_ERRORS },
    handler: (call) => {
      call.requirePermission("users.read");
      const items = ctx.catalog
        .data()
        .users.filter((u) => call.inScope(u.areaId))
        .sort((a, b) => a.username.localeCompare(b.username))
        .map(userView);
      return { status: 200, body: { items } };
    },
  });

  api.add({
    method: "get",
    path: "/api/v1/users/:id",
    summary: "One user (admin)",
    tag: TAG,
    responses: { 200: { description: "the user", schema: UserView }, ...AUTH_ERRORS, 404: PROBLEM("unknown or outside your area") },
    handler: (call) => ({ status: 200, body: userView(call.visible(ctx.catalog.data().users, call.param("id"), "users.read", "user")) }),
  });
}

function registerCreate(api: ApiRouter, ctx: RouteContext): void {
  api.add({
    method: "post",
    path: "/api/v1/users",
    summary: "Create a user in the caller's subtree, with a role not above the caller's",
    tag: TAG,
    body: UserCreateBody,
    responses: {
      201: { description: "created", schema: UserView },
      ...AUTH_ERRORS,
      409: PROBLEM("username taken"),
      422: PROBLEM("invalid body or unknown area"),
    },
    handler: async (call) => {
      const b = call.body;
      checkTargetArea(call, b.areaId);
      checkGrant(call, b.role);
      const passwordHash = await hashPassword(b.password, ctx.config.passwordCost);
      const user: User = {
        id: newId("usr"),
        username: b.username,
        ...(b.displayName !== undefined ? { displayName: b.displayName } : {}),
        passwordHash,
        role: b.role,
        areaId: b.areaId,
        createdAt: call.nowIso(),
      };
      await ctx.catalog.update((draft) => {
        if (draft.users.some((u) => u.username === user.username)) {
          throw new ConflictError(`the username "${user.username}" is already taken`);
        }
        draft.users.push(user);
      });
      await call.audit("user.create", { type: "user", id: user.id }, { username: user.username, role: user.role, areaId: user.areaId });
      return { status: 201, body: userView(user) };
    },
  });
}

function registerChanges(api: ApiRouter, ctx: RouteContext): void {
  api.add({
    method: "patch",
    path: "/api/v1/users/:id",
    summary: "Change a user's name, password, role, area or disabled flag",
    tag: TAG,
    body: UserPatchBody,
    responses: {
      200: { description: "updated", schema: UserView },
      ...AUTH_ERRORS,
      404: PROBLEM("unknown user"),
      409: PROBLEM("change to your own role, area or disabled flag"),
      422: PROBLEM("invalid body or unknown area"),
    },
    handler: async (call) => {
      const id = call.param("id");
      const target = call.visible(ctx.catalog.data().users, id, "users.write", "user");
      const b = call.body;
      if (b.areaId !== undefined) checkTargetArea(call, b.areaId);
      if (b.role !== undefined) checkGrant(call, b.role);
      checkSelfChange(call, target, b);
      const passwordHash = b.password === undefined ? undefined : await hashPassword(b.password, ctx.config.passwordCost);
      const updated = await ctx.catalog.update((draft) => {
        const u = draft.users.find((x) => x.id === id);
        if (!u) throw new NotFoundError(`user ${id}`);
        if (b.displayName !== undefined) u.displayName = b.displayName;
        if (b.role !== undefined) u.role = b.role;
        if (b.areaId !== undefined) u.areaId = b.areaId;
        if (b.disabled !== undefined) u.disabled = b.disabled;
        if (passwordHash !== undefined) u.passwordHash = passwordHash;
        // A new password or a disabled account ends every session of that user at once.
        if (passwordHash !== undefined || b.disabled === true) dropUserSessions(draft, id);
        return { ...u };
      });
      const { password: _secret, ...shown } = b;
      await call.audit("user.update", { type: "user", id }, { fields: Object.keys(b), ...shown });
      return { status: 200, body: userView(updated) };
    },
  });

  api.add({
    method: "delete",
    path: "/api/v1/users/:id",
    summary: "Delete a user with their sessions and API tokens",
    tag: TAG,
    responses: { 204: { description: "deleted" }, ...AUTH_ERRORS, 404: PROBLEM("unknown user"), 409: PROBLEM("deleting yourself") },
    handler: async (call) => {
      const id = call.param("id");
      const target = call.visible(ctx.catalog.data().users, id, "users.write", "user");
      if (target.id === call.actor.user.id) throw new ConflictError("you cannot delete your own account: ask another admin");
      await ctx.catalog.update((draft) => {
        draft.users = draft.users.filter((u) => u.id !== id);
        draft.tokens = draft.tokens.filter((t) => t.userId !== id);
        dropUserSessions(draft, id);
      });
      await call.audit("user.delete", { type: "user", id }, { username: target.username });
      return { status: 204 };
    },
  });
}

export function registerUserRoutes(api: ApiRouter, ctx: RouteContext): void {
  registerReads(api, ctx);
  registerCreate(api, ctx);
  registerChanges(api, ctx);
}
