/**
 * Route table + express registration in one step: every API route is declared once with its schemas,
 * which gives body/query validation, authentication, the OpenAPI document and (in tests) reply checks from
 * the same declaration. Resource modules add routes with `registerXRoutes(api, ctx)`.
 */
import type { ProblemDetails } from "@loa/shared";
import type { Express, Request, Response } from "express";
import { z } from "zod";
import { UnauthenticatedError } from "../core/errors.js";
import { authOf, type Principal } from "./authn.js";
import { problem, validationProblem } from "./problem.js";
import { newCall, type Call, type RouteContext } from "./context.js";
import { checkSameOrigin } from "./security.js";

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

export interface ResponseDoc {
  description: string;
  /** JSON reply schema; absent for empty replies or non-JSON ones (then give contentType). */
  schema?: z.ZodType;
  contentType?: string;
}

type Infer<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteDef<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined> {
  method: HttpMethod;
  /** Express path under the app root, e.g. `/api/v1/devices/:id`. */
  path: string;
  summary: string;
  tag: string;
  /** "user" (default): 401 without a valid session or token. */
  auth?: "public" | "user";
  /** JSON body schema: 415 for a non-JSON body, 422 when invalid. */
  body?: B;
  /** A body the handler reads itself (e.g. multipart); documented only. */
  rawBody?: { contentType: string; description: string };
  query?: Q;
  responses: Record<number, ResponseDoc>;
  /** Return a Reply, or undefined after writing to `call.res` directly (files, streams). */
  handler: (call: Call<Infer<B>, Infer<Q>>) => Promise<Reply | undefined> | Reply | undefined;
}

/** A declared route with its types erased, as the table and the OpenAPI builder see it. */
export interface RouteEntry {
  method: HttpMethod;
  path: string;
  summary: string;
  tag: string;
  auth: "public" | "user";
  body?: z.ZodType;
  rawBody?: { contentType: string; description: string };
  query?: z.ZodType;
  responses: Record<number, ResponseDoc>;
}

export class ApiRouter {
  private readonly table: RouteEntry[] = [];

  constructor(
    private readonly app: Express,
    private readonly ctx: RouteContext,
  ) {}

  get routes(): readonly RouteEntry[] {
    return this.table;
  }

  add<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(def: RouteDef<B, Q>): void {
    const auth = def.auth ?? "user";
    if (this.table.some((r) => r.method === def.method && r.path === def.path)) {
      throw new Error(`route declared twice: ${def.method.toUpperCase()} ${def.path}`);
    }
    const { handler: _handler, ...entry } = def;
    this.table.push({ ...entry, auth });
    this.app[def.method](def.path, async (req: Request, res: Response) => {
      const principal = authenticate(req, auth);
      if (principal?.via === "session") checkSameOrigin(req);
      const body = def.body ? parseBody(req, def.body) : undefined;
      const query = def.query ? parseOrThrow(def.query, req.query, "invalid_query") : undefined;
      const call = newCall<Infer<B>, Infer<Q>>(this.ctx, req, res, principal, body as Infer<B>, query as Infer<Q>);
      const reply = await def.handler(call);
      if (reply) this.send(res, def, reply);
    });
  }

  private send(res: Response, def: { method: string; path: string; responses: Record<number, ResponseDoc> }, reply: Reply): void {
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    const doc = def.responses[reply.status];
    if (this.ctx.config.validateResponses) checkReply(def, doc, reply);
    if (reply.body === undefined) {
      res.status(reply.status).end();
      return;
    }
    res.status(reply.status).json(reply.body);
  }
}

/** Thrown from inside handlers' parsing steps; the error middleware sends it as is. */
export class ProblemError extends Error {
  constructor(readonly problem: ProblemDetails) {
    super(problem.detail);
  }
}

function authenticate(req: Request, auth: "public" | "user"): Principal | undefined {
  const state = authOf(req);
  if (auth === "user" && !state.principal) throw new UnauthenticatedError(state.failure);
  return state.principal;
}

function parseBody(req: Request, schema: z.ZodType): unknown {
  // req.is: null when there is no body at all, false when there is one of another type.
  if (req.is(["application/json", "application/*+json"]) === false) {
    throw new ProblemError(problem("unsupported_media_type", `send the body as JSON (Content-Type: application/json), not ${req.headers["content-type"] ?? "no type"}`));
  }
  return parseOrThrow(schema, req.body ?? {}, "invalid_body");
}

function parseOrThrow(schema: z.ZodType, value: unknown, code: "invalid_body" | "invalid_query"): unknown {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ProblemError(validationProblem(code, parsed.error));
  return parsed.data;
}

function checkReply(def: { method: string; path: string }, doc: ResponseDoc | undefined, reply: Reply): void {
  const where = `${def.method.toUpperCase()} ${def.path} → ${reply.status}`;
  if (!doc) throw new Error(`undocumented reply status: ${where}`);
  if (doc.schema) {
    const parsed = doc.schema.safeParse(reply.body);
    if (!parsed.success) throw new Error(`reply does not match its schema: ${where}: ${z.prettifyError(parsed.error)}`);
  } else if (reply.body !== undefined && !doc.contentType) {
    throw new Error(`reply has a body but its schema says none: ${where}`);
  }
}

export type { Call, RouteContext };
