/** The caller's own API tokens (ARCHITECTURE §7 `POST/GET/DELETE /api/v1/tokens`). Any role may have tokens. */
import { ApiTokenCreateBody, ApiTokenCreated, ApiTokenList } from "@loa/shared";
import { NotFoundError } from "../../core/errors.js";
import type { ApiRouter, RouteContext } from "../api-router.js";
import { AUTH_ERRORS, PROBLEM } from "./docs.js";
import { tokenView } from "./views.js";

const TAG = "tokens";

export function registerTokenRoutes(api: ApiRouter, ctx: RouteContext): void {
  api.add({
    method: "post",
    path: "/api/v1/tokens",
    summary: "Create an API token for the caller; the secret is in this reply only",
    tag: TAG,
    body: ApiTokenCreateBody,
    responses: { 201: { description: "created", schema: ApiTokenCreated }, ...AUTH_ERRORS, 422: PROBLEM("invalid body") },
    handler: async (call) => {
      const { token, record } = await ctx.tokens.create(call.actor.user.id, call.body.name);
      await call.audit("token.create", { type: "token", id: record.id }, { name: record.name });
      return { status: 201, body: { ...tokenView(record), token } };
    },
  });

  api.add({
    method: "get",
    path: "/api/v1/tokens",
    summary: "The caller's API tokens (never their secrets)",
    tag: TAG,
    responses: { 200: { description: "tokens", schema: ApiTokenList }, ...AUTH_ERRORS },
    handler: (call) => ({ status: 200, body: { items: ctx.tokens.listOf(call.actor.user.id).map(tokenView) } }),
  });

  api.add({
    method: "delete",
    path: "/api/v1/tokens/:id",
    summary: "Revoke one of the caller's API tokens",
    tag: TAG,
    responses: { 204: { description: "revoked" }, ...AUTH_ERRORS, 404: PROBLEM("no such token of the caller") },
    handler: async (call) => {
      const id = call.param("id");
      if (!(await ctx.tokens.revoke(call.actor.user.id, id))) throw new NotFoundError(`API token ${id}`);
      await call.audit("token.delete", { type: "token", id });
      return { status: 204 };
    },
  });
}
