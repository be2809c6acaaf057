/** Shorthands for the responses table of a route. */
import { ProblemDetails } from "@loa/shared";
import type { ResponseDoc } from "../api-router.js";

export const PROBLEM_TYPE = "application/problem+json";

export function PROBLEM(description: string): ResponseDoc {
  return { description, schema: ProblemDetails, contentType: PROBLEM_TYPE };
}

/** The answers every authenticated route can give besides its own. */
export const AUTH_ERRORS = {
  401: PROBLEM("not logged in, or the session/token is no longer valid"),
  403: PROBLEM("the role or the area scope does not allow this"),
} as const;
