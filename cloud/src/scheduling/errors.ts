/**
 * Errors of the scheduling logic (STYLE: errors carry a code). The HTTP layer maps the codes to 422.
 * English `message`, Vietnamese `messageVi` (the convention of cloud/src/media/errors.ts).
 */
import { LoaError } from "@loa/shared";

/** A cron expression that cannot be read; `details.field` names the field at fault. */
export class CronError extends LoaError {
  readonly field: string;

  constructor(expression: string, field: string, problem: string, value?: string) {
    super("invalid_cron", `invalid cron "${expression}": ${field}: ${problem}`, {
      expression,
      field,
      ...(value !== undefined ? { value } : {}),
    });
    this.field = field;
  }
}

/** A time zone name that is not a known IANA zone. */
export class InvalidTimeZoneError extends LoaError {
  constructor(tz: string) {
    super("invalid_tz", `unknown time zone "${tz}": use an IANA name such as Asia/Ho_Chi_Minh`, { tz });
  }
}

/** An instant given as text that is not an ISO 8601 date-time. */
export class InvalidTimeError extends LoaError {
  constructor(what: string, value: string) {
    super("invalid_time", `${what}: "${value}" is not an ISO 8601 date-time`, { [what]: value });
  }
}
