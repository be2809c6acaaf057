import { describe, expect, it } from "vitest";
import { FakeClock } from "@loa/shared";
import { RateLimitedError } from "../errors.js";
import { LoginRateLimiter } from "./rate-limit.js";

function retryAfter(fn: () => void): number | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof RateLimitedError) return err.retryAfterS;
    throw err;
  }
}

describe("LoginRateLimiter", () => {
  it("blocks the 6th attempt within 5 minutes per username+IP, and opens as failures age out", async () => {
    const clock = new FakeClock(0);
    const rl = new LoginRateLimiter({ clock });
    for (let i = 0; i < 5; i++) {
      expect(retryAfter(() => rl.check("Ana", "1.1.1.1"))).toBeUndefined();
      rl.recordFailure("Ana", "1.1.1.1");
      await clock.advance(60_000);
    }
    // failures at 0,60,...,240 s; now 300 s: the first just left the window, so 4 remain.
    expect(retryAfter(() => rl.check("ana", "1.1.1.1"))).toBeUndefined();
    rl.recordFailure("ana", "1.1.1.1");
    expect(retryAfter(() => rl.check("ana", "1.1.1.1"))).toBe(60);
    expect(retryAfter(() => rl.check("ana", "2.2.2.2"))).toBeUndefined();
    expect(retryAfter(() => rl.check("bao", "1.1.1.1"))).toBeUndefined();
    await clock.advance(59_999);
    expect(retryAfter(() => rl.check("ana", "1.1.1.1"))).toBe(1);
    await clock.advance(1);
    expect(retryAfter(() => rl.check("ana", "1.1.1.1"))).toBeUndefined();
  });

  it("a success clears that account's failures from that address", () => {
    const rl = new LoginRateLimiter({ clock: new FakeClock(0), perUser: { maxFailures: 2, windowMs: 1000 } });
    rl.recordFailure("ana", "ip");
    rl.recordSuccess("ana", "ip");
    rl.recordFailure("ana", "ip");
    expect(retryAfter(() => rl.check("ana", "ip"))).toBeUndefined();
    rl.recordFailure("ana", "ip");
    expect(retryAfter(() => rl.check("ana", "ip"))).toBe(1);
  });

  it("also limits one address spraying many usernames", () => {
    const rl = new LoginRateLimiter({ clock: new FakeClock(0), perIp: { maxFailures: 3, windowMs: 10_000 } });
    for (const u of ["a", "b", "c"]) rl.recordFailure(u, "9.9.9.9");
    expect(retryAfter(() => rl.check("d", "9.9.9.9"))).toBe(10);
    expect(retryAfter(() => rl.check("d", "8.8.8.8"))).toBeUndefined();
  });

  it("bounds its memory", () => {
    const rl = new LoginRateLimiter({ clock: new FakeClock(0), maxKeys: 10 });
    for (let i = 0; i < 100; i++) rl.recordFailure(`user${i}`, `10.0.0.${i}`);
    expect((rl as unknown as { failures: Map<string, number[]> }).failures.size).toBeLessThanOrEqual(11);
  });
});
