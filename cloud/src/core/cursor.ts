/**
 * Opaque paging cursors (ARCHITECTURE §7: `/api/v1/plays`, `/api/v1/devices`): the sort key of the last item
 * of a page, as base64url JSON. A string that does not decode to a key of the expected shape is a 422.
 */
import { InvalidCursorError } from "./errors.js";

export function encodeCursorKey(key: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

/** The key `cursor` holds; InvalidCursorError when it is not base64url JSON that `isKey` accepts. */
export function decodeCursorKey<K>(cursor: string, isKey: (v: unknown) => v is K): K {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (isKey(v)) return v;
  } catch {
    // fall through
  }
  throw new InvalidCursorError();
}
