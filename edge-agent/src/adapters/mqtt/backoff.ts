/**
 * Reconnect backoff with full jitter: delay = random(0, min(maxMs, minMs * 2^attempt)). After a broker
 * restart every receiver loses its connection in the same second; the jitter spreads their reconnects so
 * the broker is not hit by the whole province at once (ARCHITECTURE §3, §4).
 */
export interface BackoffOptions {
  /** Cap of the first attempt (attempt 0). */
  minMs: number;
  /** Largest cap. */
  maxMs: number;
}

/** Upper bound of the delay before attempt `attempt` (0-based). */
export function backoffCap(attempt: number, opts: BackoffOptions): number {
  // 2^31 already exceeds any sensible maxMs; clamping keeps the arithmetic finite.
  const exp = Math.min(Math.max(0, Math.floor(attempt)), 31);
  return Math.min(opts.maxMs, opts.minMs * 2 ** exp);
}

/** Full-jitter delay in whole ms, in [0, cap). `random` returns [0, 1) like Math.random. */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const r = Math.min(Math.max(random(), 0), 1);
  const cap = backoffCap(attempt, opts);
  return Math.min(Math.floor(r * cap), Math.max(0, cap - 1));
}
