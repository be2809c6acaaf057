/**
 * Who is calling (ARCHITECTURE §7): a session cookie (HttpOnly, SameSite=Strict, Path=/, Secure over https)
 * or `Authorization: Bearer <API token>`. Resolved once per request by a middleware; routes read it with
 * `authOf(req)`. Credentials that were presented but do not work are remembered, so a protected route can
 * say why (expired session, unknown token) instead of a bare 401.
 */
import type { User } from "@loa/shared";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { ApiTokenService } from "../core/auth/api-tokens.js";
import type { SessionStore } from "../core/auth/sessions.js";
import type { Catalog } from "../ports/store.js";
import type { ResolvedHttpConfig } from "./config.js";

export const SESSION_COOKIE = "loa_session";

export interface Principal {
  user: User;
  via: "session" | "token";
  /** sha256 of the session cookie, when via session. */
  sessionHash?: string;
  tokenId?: string;
}

interface AuthState {
  principal?: Principal;
  /** Why presented credentials were refused. */
  failure?: string;
}

const states = new WeakMap<Request, AuthState>();

export function authOf(req: Request): AuthState {
  return states.get(req) ?? {};
}

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function bearerOf(req: Request): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1] ?? "";
}

export interface AuthnDeps {
  catalog: Catalog;
  sessions: SessionStore;
  tokens: ApiTokenService;
  config: ResolvedHttpConfig;
}

async function resolve(req: Request, res: Response, deps: AuthnDeps): Promise<AuthState> {
  const userById = (id: string) => deps.catalog.data().users.find((u) => u.id === id);
  const bearer = bearerOf(req);
  if (bearer !== undefined) {
    const token = bearer === "" ? undefined : await deps.tokens.resolve(bearer);
    const user = token && userById(token.userId);
    if (!token || !user) return { failure: "the API token is not valid (revoked, or never issued)" };
    if (user.disabled) return { failure: "this account is disabled" };
    return { principal: { user, via: "token", tokenId: token.id } };
  }
  const cookie = readCookie(req, SESSION_COOKIE);
  if (cookie === undefined) return {};
  const session = await deps.sessions.resolve(cookie);
  const user = session && userById(session.userId);
  if (!session || !user) return { failure: "your session has expired: log in again" };
  if (user.disabled) return { failure: "this account is disabled" };
  if (session.extended) setSessionCookie(req, res, cookie, session.expiresAt, deps.config);
  return { principal: { user, via: "session", sessionHash: session.hash } };
}

/** A bearer header wins over a cookie: scripts never depend on a browser's leftover session. */
export function authnMiddleware(deps: AuthnDeps): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    states.set(req, await resolve(req, res, deps));
    next();
  };
}

function secureFor(req: Request, config: ResolvedHttpConfig): boolean {
  return config.cookieSecure === "auto" ? req.secure : config.cookieSecure;
}

export function setSessionCookie(req: Request, res: Response, token: string, expiresAt: number, config: ResolvedHttpConfig): void {
  res.cookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "strict",
    secure: secureFor(req, config),
    path: "/",
    expires: new Date(expiresAt),
  });
}

export function clearSessionCookie(req: Request, res: Response, config: ResolvedHttpConfig): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: "strict", secure: secureFor(req, config), path: "/" });
}
