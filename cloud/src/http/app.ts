/**
 * The cloud's HTTP app (ARCHITECTURE §7): security headers, JSON bodies (256 kB), authentication, the API
 * routes of every resource module, then whatever main mounts (panel, /metrics), then 404/405 and the one
 * error handler that turns everything thrown into problem+json.
 */
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import type { Clock, HealthCheck } from "@loa/shared";
import type { Logger } from "pino";
import { AuditLog } from "../core/audit.js";
import { ApiTokenService } from "../core/auth/api-tokens.js";
import { LoginRateLimiter } from "../core/auth/rate-limit.js";
import { SessionStore } from "../core/auth/sessions.js";
import { RateLimitedError } from "../core/errors.js";
import type { DeviceCommands } from "../ports/device-commands.js";
import type { DeviceLive } from "../ports/devices-live.js";
import type { Catalog, Journal } from "../ports/store.js";
import { ApiRouter, ProblemError, type RouteEntry } from "./api-router.js";
import { authnMiddleware } from "./authn.js";
import { resolveHttpConfig, type HttpConfig } from "./config.js";
import type { RouteContext } from "./context.js";
import { logProblem, problem, sendProblem, toProblem } from "./problem.js";
import { registerAreaRoutes } from "./routes/areas.js";
import { registerAuthRoutes } from "./routes/auth.js";
import { registerCommandRoutes } from "./routes/commands.js";
import { registerDeviceRoutes } from "./routes/devices.js";
import { registerSystemRoutes } from "./routes/system.js";
import { registerTokenRoutes } from "./routes/tokens.js";
import { registerUserRoutes } from "./routes/users.js";
import { securityHeaders } from "./security.js";

/** A resource module: declares its routes on the ApiRouter (one module per resource). */
export type RouteModule = (api: ApiRouter, ctx: RouteContext) => void;

export interface HttpAppDeps {
  catalog: Catalog;
  journal: Journal;
  clock: Clock;
  /** The `cloud.http` logger. */
  log: Logger;
  config: HttpConfig;
  /** Presence and health of receivers; without it every device shows offline. */
  deviceLive?: DeviceLive;
  /** Remote commands; without it the command routes answer 503. */
  deviceCommands?: DeviceCommands;
  /** Checks `/healthz` reports (store, broker, mqtt); any failing one makes it answer 503. */
  health?: () => Record<string, HealthCheck>;
  /** More API modules (bulletins, broadcasts, plays, reports, stream), registered after the built-in ones. */
  routes?: readonly RouteModule[];
  /** Non-API handlers (panel static files, /metrics), mounted before the final 404. */
  mount?: (app: Express) => void;
}

export interface HttpApp {
  app: Express;
  /** The route table (what the OpenAPI document lists). */
  routes: readonly RouteEntry[];
  context: RouteContext;
  close(): Promise<void>;
}

const BUILT_IN: readonly RouteModule[] = [
  registerSystemRoutes,
  registerAuthRoutes,
  registerTokenRoutes,
  registerAreaRoutes,
  registerUserRoutes,
  registerDeviceRoutes,
  registerCommandRoutes,
];

function contextOf(deps: HttpAppDeps): RouteContext {
  const config = resolveHttpConfig(deps.config);
  const { catalog, journal, clock, log } = deps;
  return {
    catalog,
    journal,
    clock,
    log,
    config,
    audit: new AuditLog({ journal, clock, log }),
    sessions: new SessionStore({ catalog, clock, ttlMs: config.sessionTtlMs }),
    tokens: new ApiTokenService({ catalog, clock }),
    loginLimiter: new LoginRateLimiter({ clock, ...(config.loginLimit ?? {}) }),
    deviceLive: deps.deviceLive,
    deviceCommands: deps.deviceCommands,
    health: deps.health,
  };
}

export function createHttpApp(deps: HttpAppDeps): HttpApp {
  const ctx = contextOf(deps);
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", ctx.config.trustProxy);
  app.use(securityHeaders());
  app.use("/api", express.json({ limit: ctx.config.jsonLimit, type: ["application/json", "application/*+json"] }));
  app.use("/api", authnMiddleware({ catalog: ctx.catalog, sessions: ctx.sessions, tokens: ctx.tokens, config: ctx.config }));
  const api = new ApiRouter(app, ctx);
  for (const register of [...BUILT_IN, ...(deps.routes ?? [])]) register(api, ctx);
  deps.mount?.(app);
  app.use(notFound(api));
  app.use(errorHandler(ctx.log));
  return { app, routes: api.routes, context: ctx, close: () => Promise.resolve() };
}

/** `/api/v1/devices/:id` as a regexp over a concrete path. */
function pathPattern(path: string): RegExp {
  const escaped = path.split(/(:[A-Za-z_]\w*)/).map((part) => (part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  return new RegExp(`^${escaped.join("")}/?$`);
}

function notFound(api: ApiRouter) {
  return (req: Request, res: Response) => {
    const allowed = api.routes.filter((r) => pathPattern(r.path).test(req.path)).map((r) => r.method.toUpperCase());
    if (allowed.length > 0) {
      const allow = [...new Set(allowed.includes("GET") ? [...allowed, "HEAD"] : allowed)].join(", ");
      sendProblem(res, problem("method_not_allowed", `${req.method} is not allowed on ${req.path}; use ${allow}`), { Allow: allow });
      return;
    }
    sendProblem(res, problem("route_not_found", `no such route: ${req.method} ${req.path}`));
  };
}

function errorHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const p = err instanceof ProblemError ? err.problem : toProblem(err);
    logProblem(log, err, p, `${req.method} ${req.path}`);
    if (res.headersSent) {
      res.end();
      return;
    }
    const headers: Record<string, string> = err instanceof RateLimitedError ? { "Retry-After": String(err.retryAfterS) } : {};
    sendProblem(res, p, headers);
  };
}
