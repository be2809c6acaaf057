import { describe, expect, it } from "vitest";
import { FakeClock } from "@loa/shared";
import { pino } from "pino";
import { SilentDecoder } from "../adapters/audio/silent-decoder.js";
import { TimingSink } from "../adapters/audio/timing-sink.js";
import { FakeAmplifier } from "../testing/fake-amplifier.js";
import { MemoryHandledPlays } from "../testing/memory-handled.js";
import { Player } from "./player.js";
import type { PlayerEvent } from "./player-types.js";
import { pcmBytes } from "../ports/audio.js";
import { sampleValueOf } from "../testing/fake-decoder.js";
import { T0, makeHarness, makeItem, shaOf } from "../testing/player-harness.js";

const iso = (ms: number): string => new Date(ms).toISOString();

describe("Player: on time (ARCHITECTURE §5, §6)", () => {
  it("powers the amp before at - warmupMs, sets the volume, unmutes and starts the sink exactly at `at`", async () => {
    const h = makeHarness();
    h.addMedia("news", 3_000);
    const at = T0 + 10_000;
    h.player.setPlan([makeItem("news", at, { volume: 55 })]);
    await h.advanceTo(at - 1);
    expect(h.amp.ops()).toEqual(["powerOn", "setVolume:55"]);
    expect(h.amp.timeOf("powerOn")).toBeLessThanOrEqual(at - h.amp.warmupMs);
    expect(h.amp.timeOf("powerOn")).toBe(at - 1_500 - 300);
    expect(h.events).toEqual([]);
    expect(h.sink.captured).toEqual([]);

    await h.advanceTo(at + 3_000);
    expect(h.amp.timeOf("unmute")).toBe(at);
    expect(h.sink.records()[0]).toMatchObject({ playId: `news:${at}`, startedAt: at, playedMs: 3_000, stopped: false });
    expect(h.events).toEqual([
      { type: "play_started", playId: `news:${at}`, at: iso(at), startedAt: iso(at), t: at },
      { type: "play_finished", playId: `news:${at}`, playedMs: 3_000, t: at + 3_000 },
    ]);
    const pcm = h.sink.pcmOf(`news:${at}`);
    expect(pcm.length).toBe(pcmBytes(3_000));
    expect(pcm.readInt16LE(pcm.length - 2)).toBe(sampleValueOf("/cache/news"));
    expect(h.amp.ops()).toEqual(["powerOn", "setVolume:55", "unmute", "mute"]);
    expect(h.handled.isHandled(`news:${at}`)).toBe(true);
  });

  it("never runs the audio faster than real time: play_finished comes durationMs after the start", async () => {
    const h = makeHarness();
    h.addMedia("long", 5_000);
    const at = T0 + 5_000;
    h.player.setPlan([makeItem("long", at, { durationMs: 5_000 })]);
    await h.advanceTo(at + 4_999);
    expect(h.of("play_finished")).toEqual([]);
    expect(h.player.current()).toEqual({ kind: "play", playId: `long:${at}`, since: iso(at), priority: "normal" });
    await h.advanceTo(at + 5_000);
    expect(h.of("play_finished")).toMatchObject([{ playedMs: 5_000, t: at + 5_000 }]);
    expect(h.player.current()).toBeNull();
  });

  it("plays by cloud time: a local clock 4 s behind starts 4 s earlier locally and reports cloud times", async () => {
    const h = makeHarness({ offsetMs: 4_000 });
    h.addMedia("news", 1_000);
    const at = T0 + 10_000; // cloud time
    h.player.setPlan([makeItem("news", at)]);
    await h.advanceTo(at - 4_000 + 1_000);
    expect(h.sink.records()[0]?.startedAt).toBe(at - 4_000);
    expect(h.of("play_started")).toMatchObject([{ startedAt: iso(at) }]);
    expect(h.of("play_started")[0]).not.toHaveProperty("late");
  });

  it("re-computes waits when the offset changes (sync_time)", async () => {
    const h = makeHarness();
    h.addMedia("news", 1_000);
    const at = T0 + 60_000;
    h.player.setPlan([makeItem("news", at)]);
    await h.advanceTo(T0 + 30_000);
    h.setOffset(-2_000); // the local clock was 2 s fast
    h.player.reschedule();
    await h.advanceTo(at + 1_999);
    expect(h.of("play_started")).toEqual([]);
    await h.advanceTo(at + 2_000);
    expect(h.of("play_started")).toMatchObject([{ startedAt: iso(at) }]);
  });

  it("powers the amp off idleOffS after the last play, and not between close plays", async () => {
    const h = makeHarness();
    h.addMedia("a", 2_000);
    const a = T0 + 10_000;
    const b = a + 50_000;
    h.player.setPlan([makeItem("a", a, { durationMs: 2_000 }), { ...makeItem("a", b, { durationMs: 2_000 }), playId: "a2" }]);
    await h.advanceTo(b + 2_000 + 59_999);
    expect(h.amp.ops().filter((o) => o === "powerOn" || o === "powerOff")).toEqual(["powerOn"]);
    await h.advanceTo(b + 2_000 + 60_000);
    expect(h.amp.ops().at(-1)).toBe("powerOff");
    expect(h.amp.timeOf("powerOff")).toBe(b + 2_000 + 60_000);
    expect(h.of("play_finished")).toHaveLength(2);
  });

  it("honours a custom idleOffS and powers on again for a later play", async () => {
    const h = makeHarness({ options: { idleOffS: 5 } });
    h.addMedia("a", 1_000);
    const a = T0 + 10_000;
    h.player.setPlan([makeItem("a", a, { durationMs: 1_000 })]);
    await h.advanceTo(a + 1_000 + 5_000);
    expect(h.amp.powered).toBe(false);
    const b = a + 60_000;
    h.player.setPlan([makeItem("a", b, { durationMs: 1_000 })]);
    await h.advanceTo(b + 1_000);
    expect(h.amp.ops().filter((o) => o.startsWith("power"))).toEqual(["powerOn", "powerOff", "powerOn"]);
    expect(h.of("play_finished")).toHaveLength(2);
  });
});

describe("Player: late media, grace, missed (ARCHITECTURE §3)", () => {
  it("waits for media that is not ready and starts late when mediaReady() arrives within the grace", async () => {
    const h = makeHarness();
    h.addMedia("late", 2_000, false);
    const at = T0 + 10_000;
    h.player.setPlan([makeItem("late", at, { durationMs: 2_000 })]);
    await h.advanceTo(at + 20_000);
    expect(h.events).toEqual([]);
    h.cache.set(shaOf("late"), "/cache/late");
    h.player.mediaReady(shaOf("late"));
    await h.advance(2_000);
    expect(h.events).toEqual([
      { type: "play_started", playId: `late:${at}`, at: iso(at), startedAt: iso(at + 20_000), late: true, lateMs: 20_000, t: at + 20_000 },
      { type: "play_finished", playId: `late:${at}`, playedMs: 2_000, t: at + 22_000 },
    ]);
  });

  it("fails with media_not_ready after the 60 s grace, and powers the amp off later", async () => {
    const h = makeHarness();
    const at = T0 + 10_000;
    h.player.setPlan([makeItem("never", at)]);
    await h.advanceTo(at + 59_999);
    expect(h.events).toEqual([]);
    await h.advanceTo(at + 60_000);
    expect(h.events).toEqual([{ type: "play_failed", playId: `never:${at}`, reason: "media_not_ready", t: at + 60_000 }]);
    expect(h.handled.isHandled(`never:${at}`)).toBe(true);
    h.player.mediaReady(shaOf("never"));
    await h.advanceTo(at + 60_000 + 60_000);
    expect(h.amp.ops()).toEqual(["powerOn", "setVolume:70", "powerOff"]);
    expect(h.sink.captured).toEqual([]);
  });

  it("waits without limit for an emergency's media", async () => {
    const h = makeHarness();
    h.addMedia("alarm", 1_000, false);
    const at = T0 + 10_000;
    h.player.setPlan([makeItem("alarm", at, { priority: "emergency", durationMs: 1_000 })]);
    await h.advanceTo(at + 30 * 60_000);
    expect(h.events).toEqual([]);
    h.cache.set(shaOf("alarm"), "/cache/alarm");
    h.player.mediaReady(shaOf("alarm"));
    await h.advance(1_000);
    expect(h.of("play_started")).toMatchObject([{ late: true, lateMs: 30 * 60_000 }]);
  });

  it("reports play_missed for items that ended before the player saw them, once", async () => {
    const h = makeHarness({ handled: [`old2:${T0 - 60_000}`] });
    h.addMedia("old", 3_000);
    const past = makeItem("old", T0 - 60_000);
    const handledBefore = makeItem("old2", T0 - 60_000);
    h.player.setPlan([past, handledBefore]);
    h.player.setPlan([past, handledBefore]);
    await h.advance(100_000);
    expect(h.events).toEqual([{ type: "play_missed", playId: past.playId, t: T0 }]);
    expect(h.amp.calls).toEqual([]);
  });

  it("draws the missed line at `at + durationMs`", async () => {
    const h = makeHarness();
    h.addMedia("x", 3_000);
    const gone = makeItem("x", T0 - 3_001);
    const still = { ...makeItem("x", T0 - 2_999), playId: "still" };
    h.player.setPlan([gone, still]);
    await h.advance(5_000);
    expect(h.events.map((e) => `${e.type} ${"playId" in e ? e.playId : ""}`)).toEqual([`play_missed ${gone.playId}`, "play_started still", "play_finished still"]);
  });

  it("starts late an item first seen inside its own duration (receiver booted mid-slot)", async () => {
    const h = makeHarness();
    h.addMedia("news", 3_000);
    const at = T0 - 1_000;
    h.player.setPlan([makeItem("news", at)]);
    await h.advance(5_000);
    // Powered at T0, so it starts after the 1.5 s warm-up: 2.5 s after `at`.
    expect(h.of("play_started")).toMatchObject([{ late: true, lateMs: 2_500, startedAt: iso(T0 + 1_500) }]);
  });

  it("does not replay a handled playId", async () => {
    const at = T0 + 10_000;
    const h = makeHarness({ handled: [`news:${at}`] });
    h.addMedia("news", 3_000);
    h.player.setPlan([makeItem("news", at)]);
    await h.advance(60_000);
    expect(h.events).toEqual([]);
    expect(h.amp.calls).toEqual([]);
  });
});

describe("Player: plan changes, decode and sink failures", () => {
  it("drops items that left the plan (killing their pre-rolled decoder) and keeps the rest", async () => {
    const h = makeHarness();
    h.addMedia("a", 1_000);
    h.addMedia("b", 1_000);
    const a = makeItem("a", T0 + 10_000, { durationMs: 1_000 });
    const b = makeItem("b", T0 + 20_000, { durationMs: 1_000 });
    h.player.setPlan([a, b]);
    await h.advanceTo(T0 + 9_500); // a is pre-rolled
    expect(h.decoder.decoded).toHaveLength(1);
    h.player.setPlan([b]);
    await h.advanceTo(T0 + 30_000);
    expect(h.decoder.kills).toBeGreaterThanOrEqual(1);
    expect(h.sink.preparedIds).toEqual([a.playId, b.playId]);
    expect(h.sink.cancelledIds).toEqual([a.playId]); // the output opened ahead for `a` is released
    expect(h.events.map((e) => `${e.type} ${"playId" in e ? e.playId : ""}`)).toEqual([`play_started ${b.playId}`, `play_finished ${b.playId}`]);
  });

  it("re-schedules an item whose fields changed (new volume)", async () => {
    const h = makeHarness();
    h.addMedia("a", 1_000);
    const a = makeItem("a", T0 + 10_000, { durationMs: 1_000, volume: 40 });
    h.player.setPlan([a]);
    h.player.setPlan([{ ...a, volume: 90 }]);
    await h.advanceTo(T0 + 12_000);
    expect(h.amp.ops()).toContain("setVolume:90");
    expect(h.amp.ops()).not.toContain("setVolume:40");
    expect(h.of("play_finished")).toHaveLength(1);
  });

  it("a decoder that fails at once gives play_failed decode_failed; one failing midway is reported after its start", async () => {
    const h = makeHarness();
    h.decoder.set("/cache/bad", { durationMs: 2_000, fail: "start" });
    h.decoder.set("/cache/half", { durationMs: 2_000, fail: "middle" });
    h.cache.set(shaOf("bad"), "/cache/bad");
    h.cache.set(shaOf("half"), "/cache/half");
    const bad = makeItem("bad", T0 + 10_000, { durationMs: 2_000 });
    const half = makeItem("half", T0 + 20_000, { durationMs: 2_000 });
    h.player.setPlan([bad, half]);
    await h.advanceTo(T0 + 30_000);
    expect(h.events.map(({ t: _t, ...e }) => e)).toEqual([
      { type: "play_failed", playId: bad.playId, reason: "decode_failed" },
      { type: "play_started", playId: half.playId, at: half.at, startedAt: half.at },
      { type: "play_failed", playId: half.playId, reason: "decode_failed" },
    ]);
  });

  it("a hung decoder fails the play after decodeTimeoutMs instead of blocking the speaker", async () => {
    const h = makeHarness({ options: { decodeTimeoutMs: 3_000 } });
    h.decoder.set("/cache/hang", { durationMs: 1_000, hang: true });
    h.cache.set(shaOf("hang"), "/cache/hang");
    const item = makeItem("hang", T0 + 10_000);
    h.player.setPlan([item]);
    await h.advanceTo(T0 + 20_000);
    expect(h.events).toEqual([{ type: "play_failed", playId: item.playId, reason: "decode_failed", t: T0 + 10_000 - 1_800 + 3_000 }]);
  });

  it("an audio output that cannot open gives play_failed sink_failed", async () => {
    const h = makeHarness();
    h.addMedia("a", 1_000);
    h.sink.failOpen = new Error("device busy");
    const item = makeItem("a", T0 + 10_000);
    h.player.setPlan([item]);
    await h.advanceTo(T0 + 20_000);
    expect(h.events).toEqual([{ type: "play_failed", playId: item.playId, reason: "sink_failed", t: T0 + 10_000 }]);
  });
});

describe("Player for the fleet simulator: SilentDecoder + TimingSink (no ffmpeg)", () => {
  it("starts exactly at `at`, paces for the plan's durationMs, and works with plays weeks ahead", async () => {
    const clock = new FakeClock(T0);
    const sink = new TimingSink({ clock });
    const events: PlayerEvent[] = [];
    const player = new Player({
      clock, clockOffsetMs: () => 0, amp: new FakeAmplifier({ clock }), media: { pathOf: () => "/cache/x.ogg" },
      decoder: new SilentDecoder(), sink, emit: (e) => void events.push(e), handled: new MemoryHandledPlays(), log: pino({ level: "silent" }),
    });
    const soon = makeItem("x", T0 + 10_000, { durationMs: 90_000 });
    const far = makeItem("x", T0 + 40 * 24 * 3_600_000, { durationMs: 1_000 }); // beyond Node's 24.8-day timer limit
    player.setPlan([soon, far]);
    await clock.advance(0);
    await clock.advanceTo(T0 + 100_000);
    expect(sink.records()).toEqual([{ playId: soon.playId, startedAt: T0 + 10_000, playedMs: 90_000, stopped: false }]);
    expect(events.map((e) => e.type)).toEqual(["play_started", "play_finished"]);
    await player.shutdown();
  });
});
