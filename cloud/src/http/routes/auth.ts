/** Sessions and the caller's own account (ARCHITECTURE §7 auth). */
import { LoginBody, LoginResponse, MeResponse, PasswordChangeBody, type User } from "@loa/shared";
import { burnPasswordCheck, hashPassword, verifyPassword } from "../../core/auth/password.js";
import { permissionsOf } from "../../core/auth/permissions.js";
import { dropUserSessions } from "../../core/auth/sessions.js";
import { ForbiddenError, UnauthenticatedError } from "../../core/errors.js";
import type { ApiRouter, RouteContext } from "../api-router.js";
import { clearSessionCookie, readCookie, SESSION_COOKIE, setSessionCookie } from "../authn.js";
import { PROBLEM } from "./docs.js";
import { userView } from "./views.js";

const TAG = "auth";

function me(user: User, via: "session" | "token") {
  return { user: userView(user), via, permissions: permissionsOf(user.role) };
}

/** Check a password against a user (or burn the same time for an unknown one); false when wrong. */
async function checkPassword(ctx: RouteContext, user: User | undefined, password: string): Promise<boolean> {
  if (!user) {
    await burnPasswordCheck(password, ctx.config.passwordCost);
    return false;
  }
  return verifyPassword(password, user.passwordHash);
}

export function registerAuthRoutes(api: ApiRouter, ctx: RouteContext): void {
  api.add({
    method: "post",
    path: "/api/v1/auth/login",
    summary: "Log in: sets the session cookie (HttpOnly, SameSite=Strict)",
    tag: TAG,
    auth: "public",
    body: LoginBody,
    responses: {
      200: { description: "logged in", schema: LoginResponse },
      401: PROBLEM("wrong username or password"),
      422: PROBLEM("invalid body"),
      429: PROBLEM("too many failed logins; see Retry-After"),
    },
    handler: async (call) => {
      const ip = call.req.ip ?? "unknown";
      const username = call.body.username.trim().toLowerCase();
      ctx.loginLimiter.check(username, ip);
      const user = ctx.catalog.data().users.find((u) => u.username === username);
      if (!(await checkPassword(ctx, user, call.body.password)) || !user) {
        ctx.loginLimiter.recordFailure(username, ip);
        await ctx.audit.record({
          who: { userId: user?.id ?? "-", username, via: "session", ip },
          action: "auth.login_failed",
          target: { type: "user", id: user?.id ?? "-" },
        });
        throw new UnauthenticatedError("wrong username or password");
      }
      if (user.disabled) throw new UnauthenticatedError("this account is disabled: ask your administrator");
      ctx.loginLimiter.recordSuccess(username, ip);
      const session = await ctx.sessions.create(user.id);
      setSessionCookie(call.req, call.res, session.token, session.expiresAt, ctx.config);
      await ctx.audit.record({
        who: { userId: user.id, username: user.username, via: "session", ip },
        action: "auth.login",
        target: { type: "user", id: user.id },
      });
      return { status: 200, body: me(user, "session") };
    },
  });

  api.add({
    method: "post",
    path: "/api/v1/auth/logout",
    summary: "Log out: ends the session and clears the cookie (no-op without one)",
    tag: TAG,
    auth: "public",
    responses: { 204: { description: "logged out" } },
    handler: async (call) => {
      const cookie = readCookie(call.req, SESSION_COOKIE);
      const ended = cookie === undefined ? undefined : await ctx.sessions.destroy(cookie);
      clearSessionCookie(call.req, call.res, ctx.config);
      const user = ended && ctx.catalog.data().users.find((u) => u.id === ended.userId);
      if (user) {
        await ctx.audit.record({
          who: { userId: user.id, username: user.username, via: "session", ...(call.req.ip ? { ip: call.req.ip } : {}) },
          action: "auth.logout",
          target: { type: "user", id: user.id },
        });
      }
      return { status: 204 };
    },
  });

  api.add({
    method: "get",
    path: "/api/v1/me",
    summary: "The caller: user, how authenticated, permissions",
    tag: TAG,
    responses: { 200: { description: "the caller", schema: MeResponse }, 401: PROBLEM("not logged in") },
    handler: (call) => ({ status: 200, body: me(call.actor.user, call.actor.via) }),
  });

  api.add({
    method: "post",
    path: "/api/v1/me/password",
    summary: "Change the caller's password; ends the caller's other sessions",
    tag: TAG,
    body: PasswordChangeBody,
    responses: {
      204: { description: "changed" },
      401: PROBLEM("not logged in"),
      403: PROBLEM("current password is wrong"),
      422: PROBLEM("invalid body"),
      429: PROBLEM("too many wrong attempts"),
    },
    handler: async (call) => {
      const { user, sessionHash } = call.actor;
      const ip = call.req.ip ?? "unknown";
      ctx.loginLimiter.check(user.username, ip);
      if (!(await verifyPassword(call.body.currentPassword, user.passwordHash))) {
        ctx.loginLimiter.recordFailure(user.username, ip);
        throw new ForbiddenError("the current password is wrong");
      }
      const passwordHash = await hashPassword(call.body.newPassword, ctx.config.passwordCost);
      await ctx.catalog.update((draft) => {
        const u = draft.users.find((x) => x.id === user.id);
        if (u) u.passwordHash = passwordHash;
        dropUserSessions(draft, user.id, sessionHash);
      });
      await call.audit("user.password", { type: "user", id: user.id }, { fields: ["password"] });
      return { status: 204 };
    },
  });
}
