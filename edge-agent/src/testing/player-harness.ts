/** Builds a Player on a FakeClock with every port faked, for the player's unit tests. */
import { FakeClock } from "@loa/shared";
import { pino } from "pino";
import { Player } from "../core/player.js";
import type { PlanItem, PlayerEvent, PlayerOptions } from "../core/player-types.js";
import { CaptureSink } from "./capture-sink.js";
import { FakeAmplifier } from "./fake-amplifier.js";
import { FakeDecoder } from "./fake-decoder.js";
import { MemoryHandledPlays } from "./memory-handled.js";

export const T0 = Date.UTC(2026, 2, 1, 6, 0, 0);

export type TimedEvent = PlayerEvent & { t: number };

export interface HarnessOptions {
  options?: Partial<PlayerOptions>;
  handled?: string[];
  warmupMs?: number;
  offsetMs?: number;
}

export function shaOf(name: string): string {
  return Buffer.from(name).toString("hex").padEnd(64, "0").slice(0, 64);
}

export function makeItem(name: string, atMs: number, more: Partial<Omit<PlanItem, "media">> & { durationMs?: number } = {}): PlanItem {
  const { durationMs = 3_000, ...rest } = more;
  return {
    playId: `${name}:${atMs}`,
    at: new Date(atMs).toISOString(),
    priority: "normal",
    media: { sha256: shaOf(name), bytes: 10_000, chunkSize: 65_536, durationMs, codec: "opus" },
    ...rest,
  };
}

export function makeHarness(h: HarnessOptions = {}) {
  const clock = new FakeClock(T0);
  const amp = new FakeAmplifier({ clock, warmupMs: h.warmupMs ?? 1_500 });
  const sink = new CaptureSink({ clock });
  const decoder = new FakeDecoder();
  const cache = new Map<string, string>();
  const events: TimedEvent[] = [];
  const handled = new MemoryHandledPlays(h.handled ?? []);
  let offset = h.offsetMs ?? 0;
  const player = new Player({
    clock,
    clockOffsetMs: () => offset,
    amp,
    media: { pathOf: (sha) => cache.get(sha) },
    decoder,
    sink,
    emit: (e) => void events.push({ ...e, t: clock.now() }),
    handled,
    log: pino({ level: "silent" }),
    ...(h.options ? { options: h.options } : {}),
  });
  /** Put media `name` (durationMs long) in the cache and teach the decoder its length. */
  const addMedia = (name: string, durationMs: number, cached = true): void => {
    decoder.set(`/cache/${name}`, { durationMs });
    if (cached) cache.set(shaOf(name), `/cache/${name}`);
  };
  /**
   * Let work started outside a timer (setPlan, mediaReady, stream events) catch up at the current instant
   * before time jumps: FakeClock only fires timers that exist when it reaches their time.
   */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) await clock.advance(0);
  };
  const advanceTo = async (t: number): Promise<void> => {
    await settle();
    await clock.advanceTo(t);
  };
  return {
    clock, amp, settle, advanceTo,
    advance: (ms: number) => advanceTo(clock.now() + ms), sink, decoder, cache, events, handled, player, addMedia,
    setOffset: (ms: number) => (offset = ms),
    of: (type: PlayerEvent["type"]) => events.filter((e) => e.type === type),
  };
}
