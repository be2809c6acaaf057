import { LoaError } from "../errors.js";

export type ProtocolErrorCode = "too_large" | "invalid_utf8" | "invalid_json" | "invalid_payload" | "invalid_topic";

/**
 * A payload or topic that breaks the MQTT contract (ARCHITECTURE §3). Parsers return it instead of throwing,
 * so a handler can drop, count and log the message with its topic.
 */
export class ProtocolError extends LoaError {
  declare readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(code, message, details, options);
  }
}
