/**
 * Errors as `application/problem+json` (RFC 9457; ARCHITECTURE §7). The ONE place where error codes become
 * HTTP statuses. Conventions:
 *   400 the request cannot be read (malformed JSON);  415 a body that is not JSON where JSON is expected;
 *   422 well-formed but invalid (schema errors in body, query or path, with JSON paths; rule violations);
 *   401 not logged in; 403 role or area forbids a write; 404 unknown, or outside your area for reads;
 *   409 clashes with current state; 413 too large; 429 rate limited (Retry-After); 503 a part not wired.
 * Codes of other parts not listed here map by suffix (`*_not_found` → 404, ...), else 500.
 */
import { errorMessage, isLoaError, type ProblemDetails, type ProblemFieldError } from "@loa/shared";
import type { Response } from "express";
import type { Logger } from "pino";
import { STATUS_CODES } from "node:http";
import type { z } from "zod";

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  invalid_json: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_body: 422,
  invalid_query: 422,
  invalid_params: 422,
  invalid_request: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  // media pipeline (cloud/src/media/errors.ts)
  not_audio: 415,
  corrupt: 422,
  silent: 422,
  too_long: 422,
  too_big: 413,
  text_too_long: 422,
  text_empty: 422,
  tts_unavailable: 503,
  ffmpeg_failed: 500,
  // bulletin routes (cloud/src/http/routes/bulletins.ts)
  wrong_field: 422,
  bad_multipart: 400,
  range_not_satisfiable: 416,
  // store (cloud/src/adapters/store/errors.ts)
  store_closed: 503,
  // scheduling (cloud/src/scheduling/errors.ts) and broadcast routes (cloud/src/http/routes/broadcasts.ts)
  invalid_cron: 422,
  invalid_tz: 422,
  invalid_time: 422,
  quiet_hours: 422,
  unknown_targets: 422,
  bulletin_unknown: 422,
  no_occurrence: 422,
  broadcast_final: 409,
};

const STATUS_BY_SUFFIX: ReadonlyArray<readonly [string, number]> = [
  ["_not_found", 404],
  ["_forbidden", 403],
  ["_conflict", 409],
  ["_exists", 409],
  ["_too_large", 413],
  ["_invalid", 422],
  ["_unavailable", 503],
];

export function statusOfCode(code: string): number {
  const exact = STATUS_BY_CODE[code];
  if (exact !== undefined) return exact;
  return STATUS_BY_SUFFIX.find(([suffix]) => code.endsWith(suffix))?.[1] ?? 500;
}

export function problem(
  code: string,
  detail: string,
  extra: { errors?: ProblemFieldError[]; detailVi?: string; status?: number } = {},
): ProblemDetails {
  const status = extra.status ?? statusOfCode(code);
  return {
    type: `urn:loa:problem:${code}`,
    title: STATUS_CODES[status] ?? "Error",
    status,
    detail,
    code,
    ...(extra.detailVi !== undefined ? { detailVi: extra.detailVi } : {}),
    ...(extra.errors !== undefined ? { errors: extra.errors } : {}),
  };
}

/** `$.a.b[2]` from a zod issue path. */
export function jsonPath(path: readonly PropertyKey[], root = "$"): string {
  return path.reduce<string>((acc, seg) => {
    if (typeof seg === "number") return `${acc}[${seg}]`;
    const key = String(seg);
    return /^[A-Za-z_$][\w$]*$/.test(key) ? `${acc}.${key}` : `${acc}[${JSON.stringify(key)}]`;
  }, root);
}

/** A 422 listing every issue at once (STYLE: report all errors, not just the first). */
export function validationProblem(code: "invalid_body" | "invalid_query" | "invalid_params", error: z.ZodError): ProblemDetails {
  const root = code === "invalid_body" ? "$" : code === "invalid_query" ? "$query" : "$params";
  const errors = error.issues.map((i) => ({ path: jsonPath(i.path, root), message: i.message }));
  const where = code === "invalid_body" ? "request body" : code === "invalid_query" ? "query string" : "path";
  const summary = errors.map((e) => `${e.path}: ${e.message}`).join("; ");
  return problem(code, `invalid ${where}: ${summary}`, { errors });
}

interface BodyParserError {
  type: string;
  status: number;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  return typeof err === "object" && err !== null && typeof (err as { type?: unknown }).type === "string" &&
    typeof (err as { status?: unknown }).status === "number";
}

/** Anything thrown, as a problem document. Unknown errors become a 500 that hides internals. */
export function toProblem(err: unknown): ProblemDetails {
  if (isLoaError(err)) {
    const messageVi = (err as { messageVi?: unknown }).messageVi;
    return problem(err.code, err.message, typeof messageVi === "string" ? { detailVi: messageVi } : {});
  }
  if (isBodyParserError(err)) {
    if (err.type === "entity.parse.failed") return problem("invalid_json", `the body is not valid JSON: ${errorMessage(err)}`);
    if (err.type === "entity.too.large") return problem("payload_too_large", "the request body is larger than the limit");
    if (err.type === "encoding.unsupported" || err.type === "charset.unsupported") {
      return problem("unsupported_media_type", errorMessage(err));
    }
    if (err.status >= 400 && err.status < 500) return problem("bad_request", errorMessage(err), { status: err.status });
  }
  return problem("internal", "internal error: the server logged the details");
}

export function sendProblem(res: Response, p: ProblemDetails, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.status(p.status).type("application/problem+json").send(JSON.stringify(p));
}

/** Log once per error: 5xx at error level with the stack, 4xx at debug. */
export function logProblem(log: Logger, err: unknown, p: ProblemDetails, route: string): void {
  if (p.status >= 500) log.error({ err, route, code: p.code }, "request failed");
  else log.debug({ route, code: p.code, status: p.status }, p.detail);
}
