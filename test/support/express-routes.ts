/**
 * What express itself has registered, read from its router (not from our route table), and what an OpenAPI
 * document lists, in the same `METHOD /path` form: for the checks that the two agree (ARCHITECTURE §7).
 */
import type { Express } from "express";
import { openApiPath } from "../../cloud/src/http/openapi.js";

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  /** A nested express.Router() has its own stack. */
  handle?: { stack?: Layer[] };
}

export type OpenApiDoc = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown>; summary: string; security: unknown[] }>> };

/** `METHOD /path` of every route `app` serves, paths in OpenAPI form (`/devices/{id}`). */
export function expressRoutes(app: Express): string[] {
  return routesOf((app.router as unknown as { stack: Layer[] }).stack, "");
}

/** A nested router's mount path is not kept in express 5, so its routes show as `?/path` (undocumentable). */
function routesOf(stack: Layer[], prefix: string): string[] {
  return stack.flatMap((layer) => {
    const route = layer.route;
    if (layer.handle?.stack) return routesOf(layer.handle.stack, "?");
    if (!route) return [];
    return Object.keys(route.methods).filter((m) => m !== "_all").map((m) => `${m.toUpperCase()} ${prefix}${openApiPath(route.path)}`);
  });
}

/** `METHOD /path` of every operation the document lists. */
export function documented(doc: OpenApiDoc): string[] {
  return Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
}
