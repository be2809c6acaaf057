/**
 * Shapes shared by every REST route (ARCHITECTURE §7): the problem document every error is sent as
 * (RFC 9457, `application/problem+json`) and the list envelope.
 */
import { z } from "zod";

/** One invalid field: `path` is a JSON path into the request (`$.targets.areaIds[2]`). */
export const ProblemFieldError = z.object({
  path: z.string(),
  message: z.string(),
});
export type ProblemFieldError = z.infer<typeof ProblemFieldError>;

export const ProblemDetails = z.object({
  /** `urn:loa:problem:<code>`; `code` repeats the machine code for clients that do not parse URNs. */
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  /** A human message saying what went wrong and, where possible, what to do. */
  detail: z.string(),
  code: z.string(),
  /** The same message in Vietnamese, when the error has one (media errors do). */
  detailVi: z.string().optional(),
  errors: z.array(ProblemFieldError).optional(),
});
export type ProblemDetails = z.infer<typeof ProblemDetails>;

/** Lists are wrapped so fields (cursor, totals) can be added without breaking clients. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item) });
}

/** One part of the process as `/healthz` reports it (store, broker, mqtt). */
export const HealthCheck = z.object({ ok: z.boolean(), detail: z.string().optional() });
export type HealthCheck = z.infer<typeof HealthCheck>;

export const HealthzResponse = z.object({
  /** True when every check passes (then status 200; otherwise 503). */
  ok: z.boolean(),
  /** Epoch ms of the server clock: lets a client estimate its own clock offset. */
  time: z.number().int(),
  /** Per part; absent when the process wires none. */
  checks: z.record(z.string(), HealthCheck).optional(),
});
export type HealthzResponse = z.infer<typeof HealthzResponse>;
