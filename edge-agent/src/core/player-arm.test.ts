/**
 * The arm phase (player.ts arm()): armAheadMs before `at` the player takes the speaker and asks for the
 * unmute, so the instant `at` only starts the sink. On the real clock (the fine wait spins on the event loop,
 * which a FakeClock does not drive), with a wide window so a loaded machine does not decide the outcome.
 */
import { describe, expect, it } from "vitest";
import { SystemClock } from "@loa/shared";
import { pino } from "pino";
import { SilentDecoder } from "../adapters/audio/silent-decoder.js";
import { TimingSink } from "../adapters/audio/timing-sink.js";
import { FakeAmplifier } from "../testing/fake-amplifier.js";
import { MemoryHandledPlays } from "../testing/memory-handled.js";
import { makeItem } from "../testing/player-harness.js";
import { Player } from "./player.js";
import type { PlayerEvent } from "./player-types.js";

const ARM_AHEAD_MS = 300;

function realPlayer() {
  const clock = new SystemClock();
  const amp = new FakeAmplifier({ clock, warmupMs: 100 });
  const sink = new TimingSink({ clock });
  const events: (PlayerEvent & { t: number })[] = [];
  const player = new Player({
    clock, clockOffsetMs: () => 0, amp, sink, decoder: new SilentDecoder(), media: { pathOf: () => "/dev/null" },
    emit: (e) => void events.push({ ...e, t: Date.now() }), handled: new MemoryHandledPlays(), log: pino({ level: "silent" }),
    options: { armAheadMs: ARM_AHEAD_MS },
  });
  const until = async (done: () => boolean, ms: number): Promise<void> => {
    const end = Date.now() + ms;
    while (!done() && Date.now() < end) await clock.sleep(20);
  };
  return { amp, sink, events, player, until };
}

describe("Player arm phase: speaker and unmute ahead, the sink at `at` (real clock)", () => {
  it("asks for the unmute armAheadMs before `at` and starts the sink at `at`", { retry: 2 }, async () => {
    const { amp, sink, events, player, until } = realPlayer();
    const at = Date.now() + 1_500;
    const item = makeItem("news", at, { durationMs: 300 });
    player.setPlan([item]);
    await until(() => events.some((e) => e.type === "play_finished"), 4_000);
    await player.shutdown();

    expect(events.map((e) => e.type)).toEqual(["play_started", "play_finished"]);
    const unmutedAt = amp.timeOf("unmute") ?? Number.NaN;
    expect(unmutedAt).toBeGreaterThanOrEqual(at - ARM_AHEAD_MS);
    expect(unmutedAt).toBeLessThan(at - ARM_AHEAD_MS / 2);
    const started = sink.records()[0]?.startedAt ?? Number.NaN;
    expect(started).toBeGreaterThanOrEqual(at);
    expect(started - at).toBeLessThanOrEqual(20);
  });

  it("a play pre-empted before its first sample is not interrupted: it queues and starts after the emergency", { retry: 2 }, async () => {
    const { events, player, until } = realPlayer();
    const at = Date.now() + 1_500;
    const news = makeItem("news", at, { durationMs: 300 });
    const alarm = makeItem("alarm", at + ARM_AHEAD_MS / 2, { durationMs: 300, priority: "emergency" });
    player.setPlan([news, alarm]);
    await until(() => events.filter((e) => e.type === "play_finished").length === 2, 5_000);
    await player.shutdown();

    expect(events.map((e) => `${e.type} ${"playId" in e ? e.playId.split(":")[0] : ""}`)).toEqual([
      "play_started alarm", "play_finished alarm", "play_started news", "play_finished news",
    ]);
    const started = events.filter((e) => e.type === "play_started");
    expect(started[0]?.t).toBeGreaterThanOrEqual(at + ARM_AHEAD_MS / 2);
    expect(started[1]?.t).toBeGreaterThanOrEqual(at + ARM_AHEAD_MS / 2 + 300);
  });

  it("an emergency arriving while a play is armed starts at once, not at that play's `at`; the armed play follows it", { retry: 2 }, async () => {
    const { events, player, until } = realPlayer();
    const at = Date.now() + 1_500;
    const news = makeItem("news", at, { durationMs: 300 });
    player.setPlan([news]);
    await until(() => Date.now() >= at - ARM_AHEAD_MS / 2, 3_000);
    const alarm = makeItem("alarm", Date.now(), { durationMs: 300, priority: "emergency" });
    const { at: _at, ...now } = alarm;
    expect(player.playNow(now)).toBe(true);
    await until(() => events.filter((e) => e.type === "play_finished").length === 2, 5_000);
    await player.shutdown();

    expect(events.map((e) => `${e.type} ${"playId" in e ? e.playId.split(":")[0] : ""}`)).toEqual([
      "play_started alarm", "play_finished alarm", "play_started news", "play_finished news",
    ]);
    // The emergency did not wait for the armed play's `at` to get the speaker.
    expect(events[0]?.t).toBeLessThan(at - ARM_AHEAD_MS / 4);
  });

  it("cmd stop leaves a play that is only armed alone (nothing is on air): it starts at its `at`", { retry: 2 }, async () => {
    const { events, player, until } = realPlayer();
    const at = Date.now() + 1_500;
    player.setPlan([makeItem("news", at, { durationMs: 300 })]);
    await until(() => Date.now() >= at - ARM_AHEAD_MS / 2, 3_000);
    expect(player.busy()).toBe(true);
    expect(player.current()).toBeNull();
    expect(player.stop("cmd_1")).toBe(false);
    await until(() => events.some((e) => e.type === "play_finished"), 3_000);
    await player.shutdown();
    expect(events.map((e) => e.type)).toEqual(["play_started", "play_finished"]);
    expect(events[0]?.t).toBeGreaterThanOrEqual(at);
  });
});
