/** Random secrets and their stored digests (sessions, API tokens, device tokens). */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** 256 random bits, base64url: unguessable, so a fast hash is enough to store it. */
export function newSecret(prefix = ""): string {
  return prefix + randomBytes(32).toString("base64url");
}

export function sha256Hex(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Compare a presented secret with a stored sha256 hex digest in constant time. */
export function matchesSha256(secret: string, storedHex: string): boolean {
  const a = Buffer.from(sha256Hex(secret), "hex");
  const b = Buffer.from(storedHex, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A password a person can type: 20 characters without look-alikes (0/O, 1/l/I). */
export function newReadablePassword(length = 20): string {
  const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const bytes = randomBytes(length * 2);
  let out = "";
  for (const b of bytes) {
    // Rejection sampling keeps every character equally likely.
    if (b >= Math.floor(256 / alphabet.length) * alphabet.length) continue;
    out += alphabet[b % alphabet.length];
    if (out.length === length) break;
  }
  return out.length === length ? out : newReadablePassword(length);
}
