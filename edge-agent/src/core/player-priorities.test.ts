import { describe, expect, it } from "vitest";
import { FakeClock } from "@loa/shared";
import { Arbiter, EMERGENCY_RANK, TONE_RANK, shouldPreempt, type Contender } from "./priorities.js";
import { T0, makeHarness, makeItem, type TimedEvent } from "../testing/player-harness.js";

const iso = (ms: number): string => new Date(ms).toISOString();
const brief = (events: TimedEvent[]): string[] =>
  events.map((e) => `${e.t - T0} ${e.type} ${"playId" in e ? e.playId.split(":")[0] : ""}${"playedMs" in e && e.type === "play_interrupted" ? ` by ${(e.byPlayId ?? "-").split(":")[0]} after ${e.playedMs}` : ""}`);

describe("Player priorities (ARCHITECTURE §2: Thông tư 39/2020 levels)", () => {
  it("an emergency pre-empts a playing normal: play_interrupted with the played time, then the emergency at its `at`", async () => {
    const h = makeHarness();
    h.addMedia("news", 10_000);
    h.addMedia("alarm", 2_000);
    const news = makeItem("news", T0 + 10_000, { durationMs: 10_000 });
    const alarm = makeItem("alarm", T0 + 13_000, { durationMs: 2_000, priority: "emergency", volume: 100 });
    h.player.setPlan([news, alarm]);
    await h.advanceTo(T0 + 30_000);
    expect(brief(h.events)).toEqual([
      "10000 play_started news",
      "13000 play_interrupted news by alarm after 3000",
      "13000 play_started alarm",
      "15000 play_finished alarm",
    ]);
    expect(h.of("play_interrupted")[0]).toMatchObject({ byPlayId: alarm.playId, playedMs: 3_000 });
    expect(h.of("play_started")[1]).toMatchObject({ startedAt: iso(T0 + 13_000) });
    expect(h.of("play_started")[1]).not.toHaveProperty("late");
    // The emergency's volume is set when it takes over (not while the normal was still on air).
    expect(h.amp.ops()).toEqual(["powerOn", "setVolume:70", "unmute", "setVolume:100", "unmute", "mute"]);
    expect(h.amp.timeOf("setVolume", 100)).toBe(T0 + 13_000);
    // PCM handed to the output: the 3 s played plus at most the one frame (50 ms) that began at the cut.
    expect(h.sink.pcmOf(news.playId).length).toBeGreaterThanOrEqual(3_000 * 96);
    expect(h.sink.pcmOf(news.playId).length).toBeLessThanOrEqual(3_050 * 96);
  });

  it("a priority goes before a normal due at the same moment; the normal follows, late", async () => {
    const h = makeHarness();
    h.addMedia("normal", 2_000);
    h.addMedia("prio", 3_000);
    const at = T0 + 10_000;
    // The normal comes first in the plan so it would win a first-come race.
    h.player.setPlan([makeItem("normal", at, { durationMs: 2_000 }), makeItem("prio", at, { durationMs: 3_000, priority: "priority" })]);
    await h.advanceTo(T0 + 20_000);
    expect(brief(h.events)).toEqual([
      "10000 play_started prio",
      "13000 play_finished prio",
      "13000 play_started normal",
      "15000 play_finished normal",
    ]);
    expect(h.of("play_started")[1]).toMatchObject({ late: true, lateMs: 3_000 });
  });

  it("a priority does not pre-empt a normal already on air: it waits and starts when the normal ends", async () => {
    const h = makeHarness();
    h.addMedia("normal", 5_000);
    h.addMedia("prio", 1_000);
    h.player.setPlan([makeItem("normal", T0 + 10_000, { durationMs: 5_000 }), makeItem("prio", T0 + 12_000, { durationMs: 1_000, priority: "priority" })]);
    await h.advanceTo(T0 + 20_000);
    expect(brief(h.events)).toEqual(["10000 play_started normal", "15000 play_finished normal", "15000 play_started prio", "16000 play_finished prio"]);
  });

  it("same priority overlapping: in order of `at`, the later one queued", async () => {
    const h = makeHarness();
    for (const n of ["a", "b", "c"]) h.addMedia(n, 4_000);
    h.player.setPlan([
      makeItem("c", T0 + 13_000, { durationMs: 4_000 }),
      makeItem("b", T0 + 12_000, { durationMs: 4_000 }),
      makeItem("a", T0 + 10_000, { durationMs: 4_000 }),
    ]);
    await h.advanceTo(T0 + 30_000);
    expect(brief(h.events.filter((e) => e.type === "play_started"))).toEqual(["10000 play_started a", "14000 play_started b", "18000 play_started c"]);
    expect(h.of("play_started").map((e) => ("lateMs" in e ? e.lateMs : 0))).toEqual([0, 2_000, 5_000]);
  });

  it("a queued play past queueGraceMs fails with queue_timeout", async () => {
    const h = makeHarness({ options: { queueGraceMs: { normal: 2_000, priority: 2_000, emergency: Number.POSITIVE_INFINITY } } });
    h.addMedia("a", 10_000);
    h.addMedia("b", 1_000);
    const b = makeItem("b", T0 + 12_000, { durationMs: 1_000 });
    h.player.setPlan([makeItem("a", T0 + 10_000, { durationMs: 10_000 }), b]);
    await h.advanceTo(T0 + 30_000);
    expect(h.of("play_failed")).toEqual([{ type: "play_failed", playId: b.playId, reason: "queue_timeout", t: T0 + 14_000 }]);
    expect(h.of("play_finished")).toHaveLength(1);
  });

  it("an emergency does not pre-empt another emergency: it queues", async () => {
    const h = makeHarness();
    h.addMedia("e1", 3_000);
    h.addMedia("e2", 1_000);
    h.player.setPlan([makeItem("e1", T0 + 10_000, { durationMs: 3_000, priority: "emergency" }), makeItem("e2", T0 + 11_000, { durationMs: 1_000, priority: "emergency" })]);
    await h.advanceTo(T0 + 20_000);
    expect(brief(h.events)).toEqual(["10000 play_started e1", "13000 play_finished e1", "13000 play_started e2", "14000 play_finished e2"]);
  });
});

describe("Arbiter", () => {
  const c = (id: string, rank: number, atMs = 0, log: string[] = []): Contender => ({ id, rank, atMs, interrupt: (by) => log.push(`${id}<-${by.kind === "play" ? by.playId : by.kind}`) });

  it("decides pre-emption by rank: emergency over non-emergency, anything over a tone", () => {
    expect(shouldPreempt(c("n", 0), c("e", EMERGENCY_RANK))).toBe(true);
    expect(shouldPreempt(c("p", 1), c("e", EMERGENCY_RANK))).toBe(true);
    expect(shouldPreempt(c("e", EMERGENCY_RANK), c("e2", EMERGENCY_RANK))).toBe(false);
    expect(shouldPreempt(c("n", 0), c("p", 1))).toBe(false);
    expect(shouldPreempt(c("t", TONE_RANK), c("n", 0))).toBe(true);
    expect(shouldPreempt(c("n", 0), c("t", TONE_RANK))).toBe(false);
  });

  it("grants one holder at a time, interrupts it once, and lets an aborted waiter leave the queue", async () => {
    const clock = new FakeClock(T0);
    const arb = new Arbiter((fn) => void clock.setTimeout(fn, 0));
    const log: string[] = [];
    const n = c("n", 0, 1, log);
    const e1 = c("e1", EMERGENCY_RANK, 2, log);
    const e2 = c("e2", EMERGENCY_RANK, 3, log);
    const granted: string[] = [];
    void arb.acquire(n, new AbortController().signal).then(() => granted.push("n"));
    await clock.advance(0);
    expect(arb.holder?.id).toBe("n");
    const gone = new AbortController();
    const p2 = arb.acquire(e2, gone.signal);
    void arb.acquire(e1, new AbortController().signal).then(() => granted.push("e1"));
    await clock.advance(0);
    expect(log).toEqual(["n<-e1"]); // the earliest emergency, and only once
    gone.abort();
    await expect(p2).rejects.toMatchObject({ code: "play_aborted" });
    arb.release(n);
    await clock.advance(0);
    expect(granted).toEqual(["n", "e1"]);
    expect(arb.holder?.id).toBe("e1");
  });
});
