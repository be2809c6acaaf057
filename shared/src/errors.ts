/** Base of every error Loa throws on purpose: carries a stable machine-readable code (STYLE: errors). */
export class LoaError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

export function isLoaError(err: unknown): err is LoaError {
  return err instanceof LoaError;
}

/** A message for logs and problem documents from anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
