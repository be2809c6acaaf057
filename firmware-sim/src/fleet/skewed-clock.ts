/**
 * A receiver's own clock in the fleet: the machine's clock plus a settable offset, as a board whose RTC
 * drifted or came back from a power cut with fake-hwclock's stale time. The agent's TimeSync measures the
 * offset against the cloud and the player corrects for it (ARCHITECTURE §3 time/req), which is what the
 * control interface's `skew` exercises. It stays a SystemClock (timers are real), so code that tunes itself
 * for the real clock (`instanceof SystemClock`) still does.
 */
import { SystemClock } from "@loa/shared";

export class SkewedClock extends SystemClock {
  private offsetMs: number;

  constructor(offsetMs = 0) {
    super();
    this.offsetMs = offsetMs;
  }

  /** How far this clock is ahead of the machine's (negative: behind). */
  get skewMs(): number {
    return this.offsetMs;
  }

  setSkew(ms: number): void {
    this.offsetMs = ms;
  }

  override now(): number {
    return Date.now() + this.offsetMs;
  }
}
