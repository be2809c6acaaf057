import { describe, expect, it } from "vitest";
import { T0, makeHarness, makeItem } from "../testing/player-harness.js";

const iso = (ms: number): string => new Date(ms).toISOString();

describe("Player commands: play_now, stop, test_tone, shutdown (ARCHITECTURE §3 cmd)", () => {
  it("playNow plays at once (after pre-roll), never reports late, and ignores a second call for the same playId", async () => {
    const h = makeHarness();
    h.addMedia("now", 1_000);
    const { at: _at, ...item } = makeItem("now", T0);
    expect(h.player.playNow({ ...item, priority: "emergency" })).toBe(true);
    expect(h.player.playNow({ ...item, priority: "emergency" })).toBe(false);
    await h.advance(5_000);
    expect(h.events.map((e) => e.type)).toEqual(["play_started", "play_finished"]);
    // The amplifier was off: the first sample waits for its warm-up (1.5 s), and that is not "late".
    expect(h.of("play_started")[0]).toEqual({ type: "play_started", playId: item.playId, at: iso(T0), startedAt: iso(T0 + 1_500), t: T0 + 1_500 });
    expect(h.amp.timeOf("powerOn")).toBe(T0);
    // The same play arriving later in the plan is not played again.
    h.player.setPlan([makeItem("now", T0)]);
    await h.advance(5_000);
    expect(h.events).toHaveLength(2);
  });

  it("stop(cmdId) cuts the current play: play_interrupted{byCmdId} with the played time; false when idle", async () => {
    const h = makeHarness();
    h.addMedia("news", 10_000);
    const news = makeItem("news", T0 + 10_000, { durationMs: 10_000 });
    h.player.setPlan([news]);
    expect(h.player.stop()).toBe(false);
    await h.advanceTo(T0 + 14_000);
    expect(h.player.current()).toMatchObject({ playId: news.playId, since: iso(T0 + 10_000) });
    expect(h.player.stop("cmd_42")).toBe(true);
    await h.advance(100);
    expect(h.of("play_interrupted")).toEqual([{ type: "play_interrupted", playId: news.playId, byCmdId: "cmd_42", playedMs: 4_000, t: T0 + 14_000 }]);
    expect(h.player.current()).toBeNull();
    expect(h.amp.ops().at(-1)).toBe("mute");
    expect(h.handled.isHandled(news.playId)).toBe(true);
  });

  it("testTone powers the amp, waits the warm-up, plays a real sine and reports it (no play events)", async () => {
    const h = makeHarness();
    const result = h.player.testTone({ freqHz: 1_000, durationMs: 500, volume: 40 });
    await h.advance(1_500 + 500);
    await expect(result).resolves.toEqual({ startedAt: iso(T0 + 1_500), playedMs: 500, interruptedBy: null, ampError: null });
    expect(h.amp.ops()).toEqual(["powerOn", "setVolume:40", "unmute", "mute"]);
    expect(h.events).toEqual([]);
    const pcm = h.sink.captured[0]?.pcm ? Buffer.concat(h.sink.captured[0].pcm) : Buffer.alloc(0);
    expect(pcm.length).toBe(500 * 96);
    let crossings = 0;
    for (let i = 2; i < pcm.length; i += 2) if (pcm.readInt16LE(i - 2) < 0 && pcm.readInt16LE(i) >= 0) crossings++;
    expect(crossings).toBeGreaterThanOrEqual(495); // 1 kHz for 0.5 s
    expect(crossings).toBeLessThanOrEqual(501);
    await h.advance(60_000);
    expect(h.amp.ops().at(-1)).toBe("powerOff");
  });

  it("testTone is refused while a play is on air, rejects bad arguments, and yields to a play that falls due", async () => {
    const h = makeHarness();
    await expect(h.player.testTone({ freqHz: 5, durationMs: 500, volume: 40 })).rejects.toMatchObject({ code: "invalid_args" });
    await expect(h.player.testTone({ freqHz: 440, durationMs: 500, volume: 101 })).rejects.toMatchObject({ code: "invalid_args" });
    h.addMedia("news", 2_000);
    const news = makeItem("news", T0 + 10_000, { durationMs: 2_000 });
    h.player.setPlan([news]);
    await h.advanceTo(T0 + 10_500);
    await expect(h.player.testTone({ freqHz: 440, durationMs: 500, volume: 40 })).rejects.toMatchObject({ code: "player_busy" });
    await h.advanceTo(T0 + 20_000);
    const tone = h.player.testTone({ freqHz: 440, durationMs: 30_000, volume: 40 });
    const late = makeItem("news", T0 + 25_000, { durationMs: 2_000 });
    h.player.setPlan([late]);
    await h.advanceTo(T0 + 30_000);
    await expect(tone).resolves.toMatchObject({ interruptedBy: { kind: "play", playId: late.playId }, playedMs: 5_000 });
    expect(h.of("play_started").map((e) => ("playId" in e ? e.playId : ""))).toEqual([news.playId, late.playId]);
    expect(h.of("play_started")[1]).toMatchObject({ startedAt: iso(T0 + 25_000) });
  });

  it("stop() also ends a test tone; setVolume() changes the default volume and the play on air", async () => {
    const h = makeHarness();
    const tone = h.player.testTone({ freqHz: 440, durationMs: 10_000, volume: 30 });
    await h.advance(1_500 + 2_000);
    expect(h.player.current()).toMatchObject({ kind: "test_tone" });
    expect(h.player.stop()).toBe(true);
    await h.advance(10);
    await expect(tone).resolves.toMatchObject({ playedMs: 2_000, interruptedBy: { kind: "stop" } });

    h.addMedia("news", 5_000);
    h.player.setPlan([makeItem("news", T0 + 10_000, { durationMs: 5_000 })]);
    await h.advanceTo(T0 + 11_000);
    h.player.setVolume(85);
    await h.advance(10);
    expect(h.amp.volume).toBe(85);
    expect(() => h.player.setVolume(101)).toThrow(/volume/);
    h.player.setPlan([makeItem("news", T0 + 20_000, { durationMs: 1_000 })]);
    await h.advanceTo(T0 + 22_000);
    expect(h.amp.ops().filter((o) => o.startsWith("setVolume"))).toEqual(["setVolume:30", "setVolume:70", "setVolume:85"]);
  });

  it("shutdown interrupts the play, drops pending ones, then mute, volume 0, power off", async () => {
    const h = makeHarness();
    h.addMedia("news", 10_000);
    const news = makeItem("news", T0 + 10_000, { durationMs: 10_000 });
    h.player.setPlan([news, makeItem("news", T0 + 60_000, { durationMs: 10_000 })]);
    await h.advanceTo(T0 + 12_000);
    const done = h.player.shutdown();
    await h.advance(100);
    await done;
    expect(h.of("play_interrupted")).toEqual([{ type: "play_interrupted", playId: news.playId, playedMs: 2_000, t: T0 + 12_000 }]);
    expect(h.amp.ops().slice(-3)).toEqual(["mute", "setVolume:0", "powerOff"]);
    await h.advanceTo(T0 + 120_000);
    expect(h.of("play_started")).toHaveLength(1);
    expect(h.clock.pending()).toBe(0);
  });
});

describe("Player with a failing amplifier (decision: ampFailure)", () => {
  it("default 'play': the sink still runs, amp_fault names the play once, the play is reported as it happened", async () => {
    const h = makeHarness();
    h.addMedia("news", 1_000);
    h.amp.unreachable = true;
    const news = makeItem("news", T0 + 10_000, { durationMs: 1_000 });
    h.player.setPlan([news]);
    await h.advanceTo(T0 + 12_000);
    expect(h.events.map(({ t: _t, ...e }) => e)).toEqual([
      { type: "amp_fault", code: "unreachable", detail: `play ${news.playId}: fake amplifier: powerOn failed (no answer) (amp_unreachable)` },
      { type: "play_started", playId: news.playId, at: news.at, startedAt: news.at },
      { type: "play_finished", playId: news.playId, playedMs: 1_000 },
    ]);
    expect(h.sink.records()).toHaveLength(1);
  });

  it("'fail': play_failed{reason:'amp_unreachable'} and the sink is not used", async () => {
    const h = makeHarness({ options: { ampFailure: "fail" } });
    h.addMedia("news", 1_000);
    h.amp.failNext("powerOn");
    const news = makeItem("news", T0 + 10_000, { durationMs: 1_000 });
    h.player.setPlan([news]);
    await h.advanceTo(T0 + 12_000);
    expect(h.events).toEqual([{ type: "play_failed", playId: news.playId, reason: "amp_unreachable", t: T0 + 10_000 }]);
    expect(h.sink.captured).toEqual([]);
  });

  it("an amp that recovers by `at` is powered again at the start (the first play is not lost)", async () => {
    const h = makeHarness();
    h.addMedia("news", 1_000);
    h.amp.failNext("powerOn");
    h.player.setPlan([makeItem("news", T0 + 10_000, { durationMs: 1_000 })]);
    await h.advanceTo(T0 + 12_000);
    expect(h.amp.calls.map((c) => `${c.op}${c.ok ? "" : "!"}`)).toEqual(["powerOn!", "powerOn", "setVolume", "unmute", "mute"]);
    expect(h.of("amp_fault")).toHaveLength(1);
    expect(h.of("play_finished")).toHaveLength(1);
  });

  it("an unmute failing at the start is reported as amp_fault, the play goes on", async () => {
    const h = makeHarness();
    h.addMedia("news", 1_000);
    h.amp.failNext("unmute");
    h.player.setPlan([makeItem("news", T0 + 10_000, { durationMs: 1_000 })]);
    await h.advanceTo(T0 + 12_000);
    expect(h.events.map((e) => e.type)).toEqual(["play_started", "amp_fault", "play_finished"]);
  });
});
