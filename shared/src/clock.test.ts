import { describe, expect, it } from "vitest";
import { FakeClock, SystemClock } from "./clock.js";

describe("FakeClock", () => {
  it("fires timers in due order, ties in creation order", async () => {
    const clock = new FakeClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push("c@300"), 300);
    clock.setTimeout(() => fired.push("a@100"), 100);
    clock.setTimeout(() => fired.push("b@100"), 100);
    clock.setTimeout(() => fired.push("late"), 1000);
    await clock.advance(300);
    expect(fired).toEqual(["a@100", "b@100", "c@300"]);
    expect(clock.now()).toBe(1300);
    expect(clock.pending()).toBe(1);
  });

  it("reports the due time as now inside a callback and fires timers created while advancing", async () => {
    const clock = new FakeClock(0);
    const seen: number[] = [];
    clock.setTimeout(() => {
      seen.push(clock.now());
      clock.setTimeout(() => seen.push(clock.now()), 50);
    }, 100);
    await clock.advance(200);
    expect(seen).toEqual([100, 150]);
    expect(clock.now()).toBe(200);
  });

  it("repeats intervals and stops on cancel", async () => {
    const clock = new FakeClock(0);
    const ticks: number[] = [];
    const h = clock.setInterval(() => ticks.push(clock.now()), 30);
    await clock.advance(100);
    h.cancel();
    await clock.advance(100);
    expect(ticks).toEqual([30, 60, 90]);
  });

  it("cancelled timeouts never fire; sleep resolves at the right time", async () => {
    const clock = new FakeClock(0);
    let fired = false;
    clock.setTimeout(() => (fired = true), 10).cancel();
    let woke = -1;
    void clock.sleep(40).then(() => (woke = clock.now()));
    await clock.advance(39);
    expect(woke).toBe(-1);
    await clock.advance(1);
    expect(woke).toBe(40);
    expect(fired).toBe(false);
  });
});

describe("SystemClock", () => {
  it("tracks Date.now and sleeps at least the asked time", async () => {
    const clock = new SystemClock();
    const t0 = clock.now();
    expect(Math.abs(t0 - Date.now())).toBeLessThan(5);
    await clock.sleep(20);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(19);
  });
});
