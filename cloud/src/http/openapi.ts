/**
 * The OpenAPI 3.1 document (ARCHITECTURE §7 `/api/v1/openapi.json`), generated from the route table and the
 * zod schemas of shared/src/api, so it cannot drift from what the routes validate and return.
 */
import { z } from "zod";
import type { RouteEntry } from "./api-router.js";
import { SESSION_COOKIE } from "./authn.js";

type Json = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: "input" | "output"): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }) as Json;
  return rest;
}

/** `/api/v1/devices/:id` → `/api/v1/devices/{id}` */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z_]\w*)/g, "{$1}");
}

function pathParams(path: string): Json[] {
  return [...path.matchAll(/:([A-Za-z_]\w*)/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
}

function queryParams(query: z.ZodType | undefined): Json[] {
  if (!query) return [];
  const js = schemaOf(query, "input");
  const props = (js.properties ?? {}) as Record<string, Json>;
  const required = new Set((js.required ?? []) as string[]);
  return Object.entries(props).map(([name, schema]) => ({ name, in: "query", required: required.has(name), schema }));
}

function operation(r: RouteEntry): Json {
  const responses: Json = {};
  for (const [status, doc] of Object.entries(r.responses)) {
    const type = doc.contentType ?? "application/json";
    responses[status] = {
      description: doc.description,
      ...(doc.schema ? { content: { [type]: { schema: schemaOf(doc.schema, "output") } } } : doc.contentType ? { content: { [type]: {} } } : {}),
    };
  }
  const requestBody = r.body
    ? { required: true, content: { "application/json": { schema: schemaOf(r.body, "input") } } }
    : r.rawBody
      ? { required: true, description: r.rawBody.description, content: { [r.rawBody.contentType]: {} } }
      : undefined;
  return {
    operationId: `${r.method}${r.path.replace(/^\/api\/v1/, "").replace(/[/:]+(\w)/g, (_m, c: string) => c.toUpperCase())}`,
    summary: r.summary,
    tags: [r.tag],
    parameters: [...pathParams(r.path), ...queryParams(r.query)],
    ...(requestBody ? { requestBody } : {}),
    responses,
    security: r.auth === "public" ? [] : [{ cookieAuth: [] }, { bearerAuth: [] }],
  };
}

export function buildOpenApi(routes: readonly RouteEntry[], version: string): Json {
  const paths: Record<string, Json> = {};
  for (const r of routes) {
    const p = openApiPath(r.path);
    paths[p] = { ...(paths[p] ?? {}), [r.method]: operation(r) };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Loa cloud API",
      version,
      description: "Control plane of the Loa village loudspeaker network (ARCHITECTURE §7). Errors are application/problem+json.",
    },
    servers: [{ url: "/" }],
    paths,
    components: {
      securitySchemes: {
        cookieAuth: { type: "apiKey", in: "cookie", name: SESSION_COOKIE },
        bearerAuth: { type: "http", scheme: "bearer", description: "an API token from POST /api/v1/tokens" },
      },
    },
  };
}
