/**
 * Bandwidth cap for media (ARCHITECTURE §3 media multicast): a token bucket in bytes, refilled at
 * `bytesPerSec` up to `burstBytes`, paced through the Clock port (so tests drive it with FakeClock).
 * `take(n)` reserves at once and waits off any debt, so concurrent senders queue fairly behind each other.
 */
import type { Clock } from "@loa/shared";

export interface TokenBucketDeps {
  clock: Clock;
  /** 0 (or less) = unlimited. */
  bytesPerSec: number;
  /** Bytes that may go out at once after a quiet spell; default a quarter second's worth. */
  burstBytes?: number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly burst: number;

  constructor(private readonly deps: TokenBucketDeps) {
    this.burst = Math.max(1, deps.burstBytes ?? Math.floor(deps.bytesPerSec / 4));
    this.tokens = this.burst;
    this.last = deps.clock.now();
  }

  get unlimited(): boolean {
    return this.deps.bytesPerSec <= 0;
  }

  /** Resolves when `bytes` may be sent. */
  async take(bytes: number): Promise<void> {
    if (this.unlimited) return;
    this.refill();
    this.tokens -= bytes;
    if (this.tokens >= 0) return;
    await this.deps.clock.sleep(Math.ceil((-this.tokens / this.deps.bytesPerSec) * 1000));
  }

  private refill(): void {
    const now = this.deps.clock.now();
    const earned = ((now - this.last) / 1000) * this.deps.bytesPerSec;
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + earned);
  }
}
