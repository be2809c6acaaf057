/**
 * Login throttling (ARCHITECTURE §7 "login rate-limited"): failures are counted per username+IP (guessing
 * one account) and per IP (spraying many accounts), in a sliding window on the injected clock. While over
 * the limit, logins are refused before the password is even checked.
 */
import type { Clock } from "@loa/shared";
import { RateLimitedError } from "../errors.js";

export interface RateLimitRule {
  maxFailures: number;
  windowMs: number;
}

export interface LoginRateLimiterDeps {
  clock: Clock;
  /** Default 5 failures in 5 minutes. */
  perUser?: RateLimitRule;
  /** Default 50 failures in 5 minutes. */
  perIp?: RateLimitRule;
  /** Memory bound on tracked keys; the oldest are forgotten first. */
  maxKeys?: number;
}

export class LoginRateLimiter {
  private readonly clock: Clock;
  private readonly perUser: RateLimitRule;
  private readonly perIp: RateLimitRule;
  private readonly maxKeys: number;
  private readonly failures = new Map<string, number[]>();

  constructor(deps: LoginRateLimiterDeps) {
    this.clock = deps.clock;
    this.perUser = deps.perUser ?? { maxFailures: 5, windowMs: 5 * 60_000 };
    this.perIp = deps.perIp ?? { maxFailures: 50, windowMs: 5 * 60_000 };
    this.maxKeys = deps.maxKeys ?? 10_000;
  }

  /** Throws RateLimitedError (with retryAfterS) when either counter is at its limit. */
  check(username: string, ip: string): void {
    const wait = Math.max(this.waitMs(userKey(username, ip), this.perUser), this.waitMs(ipKey(ip), this.perIp));
    if (wait <= 0) return;
    const retryAfterS = Math.max(1, Math.ceil(wait / 1000));
    throw new RateLimitedError(`too many failed logins: try again in ${retryAfterS} s`, retryAfterS);
  }

  recordFailure(username: string, ip: string): void {
    this.push(userKey(username, ip), this.perUser);
    this.push(ipKey(ip), this.perIp);
  }

  /** A successful login forgives that account's failures from that address (not the IP's total). */
  recordSuccess(username: string, ip: string): void {
    this.failures.delete(userKey(username, ip));
  }

  /** How long until the key is under its limit again; 0 when it is already. */
  private waitMs(key: string, rule: RateLimitRule): number {
    const times = this.recent(key, rule);
    if (times.length < rule.maxFailures) return 0;
    const oldestCounted = times[times.length - rule.maxFailures] ?? 0;
    return oldestCounted + rule.windowMs - this.clock.now();
  }

  private recent(key: string, rule: RateLimitRule): number[] {
    const cutoff = this.clock.now() - rule.windowMs;
    const times = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (times.length === 0) this.failures.delete(key);
    else this.failures.set(key, times);
    return times;
  }

  private push(key: string, rule: RateLimitRule): void {
    const times = this.recent(key, rule);
    times.push(this.clock.now());
    // Keep only what can matter for the limit.
    this.failures.set(key, times.slice(-rule.maxFailures));
    if (this.failures.size > this.maxKeys) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
  }
}

function userKey(username: string, ip: string): string {
  return `u:${username.toLowerCase()}|${ip}`;
}

function ipKey(ip: string): string {
  return `ip:${ip}`;
}
