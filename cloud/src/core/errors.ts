/**
 * The errors the control plane throws on purpose (STYLE: errors carry a code). The HTTP layer maps codes
 * to statuses in one table (cloud/src/http/problem.ts); core code never talks HTTP.
 */
import { LoaError } from "@loa/shared";

export class NotFoundError extends LoaError {
  constructor(what: string, details?: Record<string, unknown>) {
    super("not_found", `${what} not found`, details);
  }
}

/** No credentials, or credentials that no longer work. */
export class UnauthenticatedError extends LoaError {
  constructor(message = "log in first (session cookie or Authorization: Bearer <token>)") {
    super("unauthenticated", message);
  }
}

/** Authenticated, but the role or the area scope does not allow it. */
export class ForbiddenError extends LoaError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("forbidden", message, details);
  }
}

/** The request clashes with the current state (duplicate name, area still in use, ...). */
export class ConflictError extends LoaError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("conflict", message, details);
  }
}

/** Well-formed request whose content breaks a rule that a schema cannot express (wrong area kind, ...). */
export class UnprocessableError extends LoaError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("invalid_request", message, details);
  }
}

export class RateLimitedError extends LoaError {
  readonly retryAfterS: number;
  constructor(message: string, retryAfterS: number) {
    super("rate_limited", message, { retryAfterS });
    this.retryAfterS = retryAfterS;
  }
}

/** A part the route needs is not wired in this process (e.g. no MQTT link yet). */
export class UnavailableError extends LoaError {
  constructor(message: string) {
    super("unavailable", message);
  }
}

/** A paging cursor not made by a previous page of the same list (422 invalid_query). */
export class InvalidCursorError extends LoaError {
  constructor() {
    super("invalid_query", "cursor: not a cursor from a previous page (start again without it)");
  }
}
