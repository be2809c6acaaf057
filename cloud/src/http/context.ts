/**
 * What a route handler gets: the shared services (RouteContext) and, per request, a Call with the parsed
 * body and query, the authenticated actor, and the scoping and audit helpers bound to that actor.
 */
import type { Clock, HealthCheck } from "@loa/shared";
import type { Request, Response } from "express";
import type { Logger } from "pino";
import { AreaIndex } from "../core/areas.js";
import type { AuditLog } from "../core/audit.js";
import type { ApiTokenService } from "../core/auth/api-tokens.js";
import { authorize, inScope, requirePermission, type Action } from "../core/auth/permissions.js";
import type { LoginRateLimiter } from "../core/auth/rate-limit.js";
import type { SessionStore } from "../core/auth/sessions.js";
import { NotFoundError, UnauthenticatedError } from "../core/errors.js";
import type { DeviceCommands } from "../ports/device-commands.js";
import type { DeviceLive } from "../ports/devices-live.js";
import type { Catalog, Journal } from "../ports/store.js";
import type { Principal } from "./authn.js";
import type { ResolvedHttpConfig } from "./config.js";

export interface RouteContext {
  catalog: Catalog;
  journal: Journal;
  clock: Clock;
  log: Logger;
  config: ResolvedHttpConfig;
  audit: AuditLog;
  sessions: SessionStore;
  tokens: ApiTokenService;
  loginLimiter: LoginRateLimiter;
  deviceLive: DeviceLive | undefined;
  deviceCommands: DeviceCommands | undefined;
  /** What `/healthz` reports per part (store, broker, mqtt); absent = only liveness. */
  health: (() => Record<string, HealthCheck>) | undefined;
}

export interface Call<B, Q> {
  readonly req: Request;
  readonly res: Response;
  readonly ctx: RouteContext;
  readonly body: B;
  readonly query: Q;
  /** The caller; throws 401 on a public route without one. */
  readonly actor: Principal;
  readonly principal: Principal | undefined;
  /** A path parameter (`:id`). */
  param(name: string): string;
  /** The area tree as of this request (built once per call). */
  areas(): AreaIndex;
  /** The one gate (core/auth/permissions): role, then scope; 404 for reads / 403 for writes outside it. */
  authorize(action: Action, resourceAreaId: string, what?: string): void;
  requirePermission(action: Action): void;
  inScope(areaId: string): boolean;
  /** `records`' `id` after the gate: 404 when unknown, then as `authorize` (404 read / 403 write outside scope). */
  visible<T extends { id: string; areaId: string }>(records: readonly T[], id: string, action: Action, noun: string): T;
  /**
   * The areas a list shows: the caller's subtree, narrowed to `areaId`'s when given (404 when that area is
   * unknown or outside the caller's subtree).
   */
  listScope(action: Action, areaId: string | undefined): Set<string>;
  /** Write the audit entry for a change made by this caller. */
  audit(action: string, target: { type: string; id: string }, details?: Record<string, unknown>): Promise<void>;
  nowIso(): string;
}

class RouteCall<B, Q> implements Call<B, Q> {
  private index: AreaIndex | undefined;

  constructor(
    readonly ctx: RouteContext,
    readonly req: Request,
    readonly res: Response,
    readonly principal: Principal | undefined,
    readonly body: B,
    readonly query: Q,
  ) {}

  get actor(): Principal {
    if (!this.principal) throw new UnauthenticatedError();
    return this.principal;
  }

  param(name: string): string {
    const v: unknown = this.req.params[name];
    return typeof v === "string" ? v : "";
  }

  areas(): AreaIndex {
    this.index ??= new AreaIndex(this.ctx.catalog.data().areas);
    return this.index;
  }

  authorize(action: Action, resourceAreaId: string, what?: string): void {
    authorize(this.areas(), this.actor.user, action, resourceAreaId, what);
  }

  requirePermission(action: Action): void {
    requirePermission(this.actor.user, action);
  }

  inScope(areaId: string): boolean {
    return inScope(this.areas(), this.actor.user, areaId);
  }

  visible<T extends { id: string; areaId: string }>(records: readonly T[], id: string, action: Action, noun: string): T {
    const record = records.find((r) => r.id === id);
    if (!record) throw new NotFoundError(`${noun} ${id}`);
    this.authorize(action, record.areaId, `${noun} ${id}`);
    return record;
  }

  listScope(action: Action, areaId: string | undefined): Set<string> {
    if (areaId !== undefined) {
      if (!this.areas().get(areaId)) throw new NotFoundError(`area ${areaId}`);
      this.authorize(action, areaId, `area ${areaId}`);
    }
    return this.areas().subtreeIds(areaId ?? this.actor.user.areaId);
  }

  async audit(action: string, target: { type: string; id: string }, details?: Record<string, unknown>): Promise<void> {
    const { user, via } = this.actor;
    await this.ctx.audit.record({
      who: { userId: user.id, username: user.username, via, ...(this.req.ip ? { ip: this.req.ip } : {}) },
      action,
      target,
      ...(details ? { details } : {}),
    });
  }

  nowIso(): string {
    return new Date(this.ctx.clock.now()).toISOString();
  }
}

export function newCall<B, Q>(
  ctx: RouteContext,
  req: Request,
  res: Response,
  principal: Principal | undefined,
  body: B,
  query: Q,
): Call<B, Q> {
  return new RouteCall(ctx, req, res, principal, body, query);
}
