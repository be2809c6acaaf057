import { describe, expect, it } from "vitest";
import { FakeClock, SystemClock } from "@loa/shared";
import { StartLine } from "./start-line.js";
import { PlayAborted } from "./waits.js";

describe("StartLine (start-line.ts)", () => {
  it("on a FakeClock starts exactly at the target, resolving with what the start returned", async () => {
    const clock = new FakeClock(1_000);
    const line = new StartLine({ clock, fineWaitMs: 0 });
    const calls: number[] = [];
    const p = line.at(() => clock.now(), 6_000, () => (calls.push(clock.now()), "handle"), new AbortController().signal);
    await clock.advanceTo(5_999);
    expect(calls).toEqual([]);
    await clock.advanceTo(6_000);
    await expect(p).resolves.toBe("handle");
    expect(calls).toEqual([6_000]);
  });

  it("rejects with what the start threw, and with PlayAborted when aborted first (the start never runs)", async () => {
    const clock = new FakeClock(0);
    const line = new StartLine({ clock, fineWaitMs: 0 });
    const failing = line.at(() => clock.now(), 100, () => {
      throw new Error("sink broke");
    }, new AbortController().signal).catch((err: unknown) => err);
    const ctl = new AbortController();
    let ran = false;
    const withdrawn = line.at(() => clock.now(), 200, () => (ran = true), ctl.signal).catch((err: unknown) => err);
    ctl.abort();
    await clock.advanceTo(300);
    expect(await failing).toMatchObject({ message: "sink broke" });
    expect(await withdrawn).toBeInstanceOf(PlayAborted);
    expect(ran).toBe(false);
    const late = new AbortController();
    late.abort();
    await expect(line.at(() => clock.now(), 400, () => 1, late.signal)).rejects.toBeInstanceOf(PlayAborted);
  });

  it("an abort once the start ran withdraws nothing: the caller still gets what it started", async () => {
    const clock = new FakeClock(0);
    const line = new StartLine({ clock, fineWaitMs: 0 });
    const ctl = new AbortController();
    // The abort comes while the line is still telling callers (the start happened; a stop must reach the handle).
    const p = line.at(() => clock.now(), 100, () => (ctl.abort(), "handle"), ctl.signal);
    await clock.advanceTo(100);
    await expect(p).resolves.toBe("handle");
  });

  it("nextDueIn() says how far the earliest waiting start is, on each caller's own clock", async () => {
    const clock = new FakeClock(0);
    const line = new StartLine({ clock, fineWaitMs: 0 });
    expect(line.nextDueIn()).toBeUndefined();
    const ctl = new AbortController();
    const late = line.at(() => clock.now(), 5_000, () => 1, ctl.signal);
    const ahead = line.at(() => clock.now() + 3_000, 6_000, () => 2, ctl.signal); // its clock is 3 s ahead: due at 3,000
    expect(line.nextDueIn()).toBe(3_000);
    await clock.advanceTo(3_000);
    await expect(ahead).resolves.toBe(2);
    expect(line.nextDueIn()).toBe(2_000);
    await clock.advanceTo(5_000);
    await expect(late).resolves.toBe(1);
    expect(line.nextDueIn()).toBeUndefined();
  });

  it("starts due in the same instant on a FakeClock all resolve at that instant", async () => {
    const clock = new FakeClock(0);
    const line = new StartLine({ clock, fineWaitMs: 0 });
    const settled: string[] = [];
    const ctl = new AbortController();
    for (const name of ["a", "b", "c"]) void line.at(() => clock.now(), 500, () => name, ctl.signal).then((v) => settled.push(`${v}@${clock.now()}`));
    await clock.advanceTo(500);
    expect(settled).toEqual(["a@500", "b@500", "c@500"]);
  });

  it("nextDueIn() also sees starts in their last stretch (looked at every turn)", () => {
    const clock = new FakeClock(0);
    const line = new StartLine({ clock, fineWaitMs: 50 });
    const ctl = new AbortController();
    const p = line.at(() => clock.now(), 30, () => 1, ctl.signal).catch((err: unknown) => err);
    expect(line.nextDueIn()).toBe(30);
    ctl.abort();
    expect(line.nextDueIn()).toBeUndefined();
    return expect(p).resolves.toBeInstanceOf(PlayAborted);
  });

  it("a start that withdraws another one due in the same look: that one never starts", async () => {
    const clock = new SystemClock();
    const line = new StartLine({ clock, fineWaitMs: 15 });
    const target = Date.now() + 40;
    // Each withdraws the other when it starts (which one the look reaches first depends on its timer).
    const ctls = [new AbortController(), new AbortController()];
    const started: number[] = [];
    const outcomes = ctls.map((ctl, i) =>
      line.at(() => clock.now(), target, () => (started.push(i), ctls[1 - i]!.abort(), i), ctl.signal).catch((err: unknown) => err),
    );
    const [a, b] = await Promise.all(outcomes);
    expect(started).toHaveLength(1);
    const winner = started[0]!;
    expect([a, b][winner]).toBe(winner);
    expect([a, b][1 - winner]).toBeInstanceOf(PlayAborted);
  });

  it("a target already past starts at once", async () => {
    const clock = new FakeClock(5_000);
    const line = new StartLine({ clock, fineWaitMs: 0 });
    await expect(line.at(() => clock.now(), 4_000, () => clock.now(), new AbortController().signal)).resolves.toBe(5_000);
  });

  it("poke() re-times waiting starts when the caller's clock moved (a new offset to the cloud)", async () => {
    const clock = new FakeClock(0);
    const line = new StartLine({ clock, fineWaitMs: 0 });
    let offset = 0;
    const startedAt: number[] = [];
    const p = line.at(() => clock.now() + offset, 10_000, () => startedAt.push(clock.now()), new AbortController().signal);
    await clock.advanceTo(1_000);
    offset = 4_000; // cloud time is 4 s later than we thought: the start comes 4 s sooner on this clock
    line.poke();
    await clock.advanceTo(7_000);
    await p;
    expect(startedAt).toEqual([6_000]);
  });

  it("shared by many on the real clock: starts due run back to back, callers resume after the last, within ms of the target", async () => {
    const clock = new SystemClock();
    const line = new StartLine({ clock, fineWaitMs: 15 });
    const target = Date.now() + 200;
    const order: string[] = [];
    const stamps: number[] = [];
    const all = Array.from({ length: 300 }, (_, i) =>
      line.at(() => clock.now(), target, () => (order.push("start"), stamps.push(Date.now()), i), new AbortController().signal).then((v) => {
        order.push("after");
        return v;
      }),
    );
    expect(await Promise.all(all)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    // Starts run back to back (the millisecond may turn in the middle of a look, leaving the rest for the next
    // turn); callers resume only once no start is due any more.
    expect(order.slice(0, 300).every((o) => o === "start")).toBe(true);
    expect(Math.min(...stamps)).toBeGreaterThanOrEqual(target);
    // one synchronous loop: the spread is the loop's own cost, not the scheduling (generous for a loaded machine)
    expect(Math.max(...stamps) - Math.min(...stamps)).toBeLessThanOrEqual(20);
  });

  it("idle() waits while a start is due soon (so bookkeeping never holds it back), and not when none is", async () => {
    const clock = new SystemClock();
    const line = new StartLine({ clock, fineWaitMs: 15 });
    const events: string[] = [];
    await line.idle().then(() => events.push("idle with nothing due"));
    const soon = line.at(() => clock.now(), Date.now() + 25, () => events.push("start"), new AbortController().signal);
    const far = new AbortController();
    const later = line.at(() => clock.now(), Date.now() + 5_000, () => undefined, far.signal).catch((err: unknown) => err);
    await line.idle().then(() => events.push("idle"));
    await soon;
    expect(events).toEqual(["idle with nothing due", "start", "idle"]);
    far.abort();
    expect(await later).toBeInstanceOf(PlayAborted);
  });

  it("poke() also takes back a start already in its last stretch when the clock moved away from it", async () => {
    const clock = new SystemClock();
    const line = new StartLine({ clock, fineWaitMs: 15 });
    let offset = 0;
    const events: string[] = [];
    const target = Date.now() + 10;
    const started = line.at(() => clock.now() + offset, target, () => events.push("start"), new AbortController().signal);
    offset = -300; // the cloud is 300 ms behind what we thought: the start moves 300 ms later
    line.poke();
    await line.idle().then(() => events.push("idle"));
    await started;
    // idle came first: the start went back to a timer instead of being looked at every turn for 300 ms
    expect(events).toEqual(["idle", "start"]);
  });

  it("within spinMs of a start the look waits it out in the same turn: other work of the loop cannot come first", async () => {
    // The caller's clock moves 10 µs each time it is read, so the start falls due while the look runs.
    const run = async (spinMs: number) => {
      let t = 0;
      const now = (): number => (t += 0.01);
      const line = new StartLine({ clock: new SystemClock(), fineWaitMs: 15, spinMs });
      let fired = false;
      const started = line.at(now, 1, () => (fired = true), new AbortController().signal);
      // Queued after the line's look: it sees whether the look gave the turn back before the start.
      const firedBeforeOtherWork = await new Promise<boolean>((resolve) => setImmediate(() => resolve(fired)));
      await started;
      return firedBeforeOtherWork;
    };
    expect(await run(2)).toBe(true);
    expect(await run(0)).toBe(false);
  });

  it("the spin is bounded: a start whose clock does not reach it in twice spinMs gets the turn back", async () => {
    let t = 0;
    const line = new StartLine({ clock: new SystemClock(), fineWaitMs: 15, spinMs: 2 });
    let fired = false;
    const started = line.at(() => t, 1, () => (fired = true), new AbortController().signal);
    const t0 = performance.now();
    await new Promise<void>((resolve) => setImmediate(resolve));
    // The look spun for at most 4 ms of real time (a loose bound for a loaded machine), then let this turn run.
    expect(performance.now() - t0).toBeLessThan(100);
    expect(fired).toBe(false);
    t = 1;
    await started;
    expect(fired).toBe(true);
  });
});
