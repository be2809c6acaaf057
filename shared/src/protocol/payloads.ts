import type { z } from "zod";
import { errorMessage } from "../errors.js";
import { CmdPayload, CmdResPayload } from "./cmd.js";
import { ProtocolError } from "./errors.js";
import { AckPayload, EventsPayload } from "./events.js";
import { MAX_PAYLOAD_BYTES } from "./limits.js";
import { MediaReqPayload, PlanPayload } from "./plan.js";
import { StatusPayload } from "./status.js";
import { TelemetryPayload } from "./telemetry.js";
import { TimeReqPayload, TimeResPayload } from "./time.js";
import type { DeviceTopicKind } from "./topics.js";

/**
 * The single map that types every JSON topic (ARCHITECTURE §3 "Every payload except media chunks is JSON
 * validated by a shared zod schema"). Media chunks are raw bytes and have no entry.
 */
export const PAYLOAD_SCHEMAS = {
  status: StatusPayload,
  telemetry: TelemetryPayload,
  events: EventsPayload,
  ack: AckPayload,
  plan: PlanPayload,
  cmd: CmdPayload,
  cmdRes: CmdResPayload,
  mediaReq: MediaReqPayload,
  timeReq: TimeReqPayload,
  timeRes: TimeResPayload,
} as const satisfies Record<DeviceTopicKind, z.ZodType>;

export type PayloadKind = keyof typeof PAYLOAD_SCHEMAS;
export type PayloadOf<K extends PayloadKind> = z.infer<(typeof PAYLOAD_SCHEMAS)[K]>;
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ProtocolError };

const MAX_ISSUES_IN_MESSAGE = 3;
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Bytes or text as received from MQTT. */
export type PayloadInput = Buffer | Uint8Array | string;

/**
 * Decode, size-check and validate one payload. Never throws: bad bytes come back as
 * `{ok:false, error}` with code too_large, invalid_utf8, invalid_json or invalid_payload.
 */
export function parsePayload<K extends PayloadKind>(kind: K, input: PayloadInput): ParseResult<PayloadOf<K>> {
  try {
    const text = decodeText(kind, input);
    if (typeof text !== "string") return { ok: false, error: text };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      return { ok: false, error: new ProtocolError("invalid_json", `${kind}: not JSON (${errorMessage(err)})`, { kind }) };
    }
    return validatePayload(kind, json);
  } catch (err) {
    // Defensive: nothing above should throw, but a handler must never crash on a peer's bytes.
    return { ok: false, error: new ProtocolError("invalid_payload", `${kind}: ${errorMessage(err)}`, { kind }, { cause: err }) };
  }
}

/**
 * Validate and serialise for publishing. Throws ProtocolError (invalid_payload, too_large): sending a bad
 * payload is a bug on our side, not a peer's.
 */
export function encodePayload<K extends PayloadKind>(kind: K, value: PayloadOf<K>): Buffer {
  const checked = validatePayload(kind, value);
  if (!checked.ok) throw checked.error;
  const bytes = Buffer.from(JSON.stringify(checked.value), "utf8");
  const max = MAX_PAYLOAD_BYTES[kind];
  if (bytes.length > max) {
    throw new ProtocolError("too_large", `${kind}: ${bytes.length} bytes, limit ${max}`, { kind, bytes: bytes.length, max });
  }
  return bytes;
}

function decodeText(kind: PayloadKind, input: PayloadInput): string | ProtocolError {
  const max = MAX_PAYLOAD_BYTES[kind];
  // A UTF-8 string is never shorter in bytes than in UTF-16 code units, so check the cheap length first.
  const size = typeof input === "string" ? (input.length > max ? input.length : Buffer.byteLength(input)) : input.byteLength;
  if (size > max) {
    return new ProtocolError("too_large", `${kind}: ${size} bytes, limit ${max}`, { kind, bytes: size, max });
  }
  if (typeof input === "string") return input;
  try {
    return utf8.decode(input);
  } catch {
    return new ProtocolError("invalid_utf8", `${kind}: payload is not valid UTF-8`, { kind });
  }
}

/** Validate an already-decoded value (e.g. from a file or test) against the schema of `kind`. */
export function validatePayload<K extends PayloadKind>(kind: K, value: unknown): ParseResult<PayloadOf<K>> {
  const schema: z.ZodType = PAYLOAD_SCHEMAS[kind];
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data as PayloadOf<K> };
  const issues = result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
  const shown = issues.slice(0, MAX_ISSUES_IN_MESSAGE).map((i) => `${i.path}: ${i.message}`);
  const more = issues.length > shown.length ? ` (+${issues.length - shown.length} more)` : "";
  return {
    ok: false,
    error: new ProtocolError("invalid_payload", `invalid ${kind} payload: ${shown.join("; ")}${more}`, {
      kind,
      issues: issues.slice(0, 20),
    }),
  };
}

/** `items[3].media.sha256`, or `(root)` for the value itself. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || "(root)";
}
