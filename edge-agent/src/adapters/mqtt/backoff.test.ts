import { describe, expect, it } from "vitest";
import { backoffCap, backoffDelay } from "./backoff.js";

const opts = { minMs: 1000, maxMs: 60_000 };

describe("full-jitter backoff", () => {
  it("caps double from minMs up to maxMs", () => {
    expect([0, 1, 2, 3, 5, 6, 7, 100].map((n) => backoffCap(n, opts))).toEqual([1000, 2000, 4000, 8000, 32_000, 60_000, 60_000, 60_000]);
    expect(backoffCap(-3, opts)).toBe(1000);
  });

  it("delay = random * cap, in [0, cap)", () => {
    expect(backoffDelay(3, opts, () => 0)).toBe(0);
    expect(backoffDelay(3, opts, () => 0.5)).toBe(4000);
    expect(backoffDelay(3, opts, () => 0.999_999_9)).toBe(7999);
    expect(backoffDelay(3, opts, () => 1)).toBe(7999); // a bad random source cannot exceed the cap
    expect(backoffDelay(3, opts, () => -1)).toBe(0);
  });

  it("spreads a fleet: 1000 receivers reconnecting at attempt 4 land all over [0, 16 s)", () => {
    const delays = Array.from({ length: 1000 }, () => backoffDelay(4, opts));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(16_000);
    expect(new Set(delays).size).toBeGreaterThan(900);
    const inFirstSecond = delays.filter((d) => d < 1000).length;
    expect(inFirstSecond).toBeLessThan(150); // ~62 expected; without jitter it would be all or none
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    expect(mean).toBeGreaterThan(6_500);
    expect(mean).toBeLessThan(9_500);
  });
});
