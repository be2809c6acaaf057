/**
 * A serial line as the Modbus master sees it (ARCHITECTURE §5): bytes out, bytes in, and a line that can
 * vanish (USB-RS485 adapter unplugged, PTY killed) and come back. Adapters keep the line open on their own:
 * after a loss they close it and retry opening with backoff through the Clock until `close()`. Nothing here
 * throws out of an event: failures are events and rejected promises, never a crashed process.
 */
import { LoaError } from "@loa/shared";

/**
 * - serial_open: opening the line failed (the adapter keeps retrying with backoff until close()).
 * - serial_closed: a write while the line is not open.
 * - serial_write: the line failed during a write (the adapter then treats the line as lost).
 */
export type SerialErrorCode = "serial_open" | "serial_closed" | "serial_write";

export class SerialError extends LoaError {
  declare readonly code: SerialErrorCode;
  constructor(code: SerialErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(code, message, details, options);
  }
}

/** closed: not wanted (before open() or after close()); waiting: lost or failed, a retry is scheduled. */
export type SerialTransportState = "closed" | "opening" | "open" | "waiting";

export interface SerialTransportEvents {
  /** Bytes as they arrive, in arbitrary chunks (a frame may be split, two frames may share a chunk). */
  data: (chunk: Buffer) => void;
  /** The line is open (first open and every reopen). */
  open: () => void;
  /** The line closed: `err` set when it was lost, absent after close() or reopen(). */
  close: (err?: Error) => void;
  /** An open attempt failed (a retry follows) or the line reported an error. Never thrown. */
  error: (err: Error) => void;
}

export interface SerialTransport {
  /** Path or name of the line, for logs and error messages. */
  readonly name: string;
  readonly state: SerialTransportState;
  readonly isOpen: boolean;
  /**
   * Open the line and keep it open until close(). Resolves once open; rejects with `serial_open` when this
   * attempt fails, while retries with backoff go on in the background. Calling it again while a retry is
   * waiting tries at once.
   */
  open(): Promise<void>;
  /** Close the line and stop retrying. Idempotent. */
  close(): Promise<void>;
  /** Drop the line and open it again now (e.g. a USB adapter that stopped delivering bytes). */
  reopen(): Promise<void>;
  /** Rejects `serial_closed` when the line is not open, `serial_write` when it fails while writing. */
  write(bytes: Uint8Array): Promise<void>;
  /** Subscribe; returns the unsubscribe function. A throwing listener is logged, never propagated. */
  on<E extends keyof SerialTransportEvents>(event: E, listener: SerialTransportEvents[E]): () => void;
}

/** Retry delays after a failed open or a lost line: initialMs, doubled each time up to maxMs. */
export interface ReconnectBackoff {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_RECONNECT_BACKOFF: ReconnectBackoff = { initialMs: 500, maxMs: 10_000 };
