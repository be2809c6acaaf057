/**
 * Security headers for the API and the same-origin panel (ARCHITECTURE §7: no CDN, so everything is 'self';
 * blob: for previews of recorded or uploaded audio; the microphone for recording bulletins).
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { ForbiddenError } from "../core/errors.js";

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export function securityHeaders(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("X-Frame-Options", "DENY");
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
    res.setHeader("Cross-Origin-Resource-Policy", "same-origin");
    res.setHeader("Permissions-Policy", "microphone=(self), camera=(), geolocation=()");
    if (req.secure) res.setHeader("Strict-Transport-Security", "max-age=31536000");
    // API answers carry sessions' data: never cache them (the panel's static files set their own).
    if (req.path.startsWith("/api/")) res.setHeader("Cache-Control", "no-store");
    next();
  };
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Defence in depth beside SameSite=Strict: a cookie-authenticated change must not come from another origin.
 * Browsers send Origin on every cross-origin POST/PATCH/DELETE; scripts without Origin are allowed (they
 * cannot carry the browser's cookie).
 */
export function checkSameOrigin(req: Request): void {
  if (!UNSAFE.has(req.method)) return;
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    originHost = "";
  }
  if (originHost !== "" && originHost === req.host) return;
  throw new ForbiddenError(`cross-origin request refused (Origin ${origin})`);
}
