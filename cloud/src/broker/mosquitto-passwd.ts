/**
 * Mosquitto 2 password hashes (ARCHITECTURE §4: an external broker authenticates devices with the same
 * tokens). The format `mosquitto_passwd` writes by default is `$7$<iterations>$<salt b64>$<hash b64>`:
 * PBKDF2-HMAC-SHA512 over the UTF-8 password and the raw 12-byte salt, 64-byte output, 101 iterations.
 * Mosquitto reads the iteration count from the line, so any count works; device tokens are 256-bit random,
 * so the low default costs nothing in safety.
 */
import { pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { LoaError } from "@loa/shared";

export const MOSQUITTO_PBKDF2_ITERATIONS = 101;
const SALT_BYTES = 12;
const HASH_BYTES = 64;
const HASH_RE = /^\$7\$([1-9][0-9]{0,6})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

export interface MosquittoHashOptions {
  iterations?: number;
  /** Fixed salt, for tests only. */
  salt?: Buffer;
}

/** `$7$101$<salt>$<hash>` for `password`, as `mosquitto_passwd -b` would write after `user:`. */
export function mosquittoPasswordHash(password: string, opts: MosquittoHashOptions = {}): string {
  const iterations = opts.iterations ?? MOSQUITTO_PBKDF2_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new LoaError("invalid_argument", `PBKDF2 iterations must be a positive integer, got ${iterations}`);
  }
  const salt = opts.salt ?? randomBytes(SALT_BYTES);
  const hash = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, HASH_BYTES, "sha512");
  return `$7$${iterations}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

/** True when `stored` is a `$7$` hash of `password` (constant-time on the digest). */
export function verifyMosquittoHash(stored: string, password: string): boolean {
  const m = HASH_RE.exec(stored);
  if (!m?.[1] || !m[2] || !m[3]) return false;
  const expected = Buffer.from(m[3], "base64");
  if (expected.length === 0) return false;
  const actual = pbkdf2Sync(Buffer.from(password, "utf8"), Buffer.from(m[2], "base64"), Number(m[1]), expected.length, "sha512");
  return timingSafeEqual(actual, expected);
}

/** True when `stored` looks like a hash Mosquitto 2 accepts in a password file. */
export function isMosquittoHash(stored: string): boolean {
  return HASH_RE.test(stored);
}

/** One `passwd` line; usernames with `:` or line breaks would corrupt the file, so they are refused. */
export function mosquittoPasswdLine(username: string, hash: string): string {
  if (username.length === 0 || /[:\r\n]/.test(username)) {
    throw new LoaError("invalid_argument", `username ${JSON.stringify(username)} cannot be written to a Mosquitto password file`);
  }
  if (!isMosquittoHash(hash)) throw new LoaError("invalid_argument", `not a Mosquitto $7$ hash for ${username}`);
  return `${username}:${hash}`;
}
