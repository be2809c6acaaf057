/**
 * Types of the Player's boundary. PlanItem and the events are local mirrors of the MQTT contract
 * (ARCHITECTURE §3) so the player does not depend on the protocol module being written alongside it;
 * swap them for the shared zod-derived types once shared/src/protocol/ lands (same field names).
 */
import type { Clock, Priority } from "@loa/shared";
import type { Logger } from "pino";
import type { Amplifier, AmpFaultCode } from "../ports/amplifier.js";
import type { AudioSink, Decoder } from "../ports/audio.js";
import type { Interrupter } from "./priorities.js";
import type { StartLine } from "./start-line.js";

/** One play of the device plan, `loa/v1/dev/{id}/plan` items[] (ARCHITECTURE §3). */
export interface PlanItem {
  playId: string;
  /** ISO time, cloud clock. */
  at: string;
  priority: Priority;
  /** 0-100; the player's defaultVolume when absent. */
  volume?: number;
  media: { sha256: string; bytes: number; chunkSize: number; durationMs: number; codec: string };
}

/** cmd play_now: like a plan item, `at` defaults to now. */
export type PlayNowItem = Omit<PlanItem, "at"> & { at?: string };

/**
 * Why a play failed. media_not_ready: media still missing after the grace; decode_failed: ffmpeg could not
 * decode it; sink_failed: the audio output could not open or died; amp_unreachable: the amplifier could not
 * be powered and ampFailure is "fail"; queue_timeout: another play held the speaker past queueGraceMs.
 */
export type PlayFailReason = "media_not_ready" | "decode_failed" | "sink_failed" | "amp_unreachable" | "queue_timeout";

/** Events the player emits (ARCHITECTURE §3 event types), each `{type, ...fields}`. */
export type PlayerEvent =
  | { type: "play_started"; playId: string; at: string; startedAt: string; late?: true; lateMs?: number }
  | { type: "play_finished"; playId: string; playedMs: number }
  | { type: "play_failed"; playId: string; reason: PlayFailReason }
  | { type: "play_missed"; playId: string }
  /**
   * byPlayId: the emergency that pre-empted it; byCmdId: the cmd stop that ended it; neither when the agent
   * shut down (the shape of shared/src/protocol/events.ts PlayInterruptedEvent).
   */
  | { type: "play_interrupted"; playId: string; byPlayId?: string; byCmdId?: string; playedMs: number }
  | { type: "amp_fault"; code: AmpFaultCode; detail: string };

/** Where cached media lives; undefined while a sha256 is not (yet) complete and verified. */
export interface MediaLookup {
  pathOf(sha256: string): string | undefined;
}

/** Persisted set of playIds already reported, so a restart never re-plays or re-reports one. */
export interface HandledPlays {
  isHandled(playId: string): boolean;
  markHandled(playId: string): void;
}

export interface PlayerOptions {
  /** Volume when a play has none. */
  defaultVolume: number;
  /** Power the amplifier off this long after the last play (ARCHITECTURE §5 idleOffS). */
  idleOffS: number;
  /** Power on this much earlier than `at - warmupMs`. */
  ampMarginMs: number;
  /** Start preparing (amp, decoder pre-roll) at least this long before `at`. */
  prerollMs: number;
  /** How long past `at` a play may still start when its media arrives late. */
  mediaGraceMs: Record<Priority, number>;
  /** How long past `at` a play may wait for the speaker held by another play. */
  queueGraceMs: Record<Priority, number>;
  /** A start later than this (ms after `at`) is reported `late: true`. */
  lateToleranceMs: number;
  /** The decoder must deliver its first PCM within this, else decode_failed. */
  decodeTimeoutMs: number;
  /** Last stretch before `at` the StartLine looks at every loop turn (its own line, when none is passed); 0 with a FakeClock. */
  fineWaitMs: number;
  /**
   * Take the speaker and ask for the unmute this long before `at`, so `at` itself only starts the sink
   * (player.ts arm()); 0 with a FakeClock. An emergency may pre-empt this much before its `at`.
   */
  armAheadMs: number;
  /**
   * When the amplifier cannot be powered: "play" still runs the sink (the line-out may feed a backup
   * amplifier) and emits amp_fault with the playId; "fail" reports play_failed{reason:"amp_unreachable"}.
   */
  ampFailure: "play" | "fail";
}

export const DEFAULT_PLAYER_OPTIONS: Omit<PlayerOptions, "fineWaitMs" | "armAheadMs"> = {
  defaultVolume: 70,
  idleOffS: 60,
  ampMarginMs: 300,
  prerollMs: 1_000,
  mediaGraceMs: { normal: 60_000, priority: 60_000, emergency: Number.POSITIVE_INFINITY },
  queueGraceMs: { normal: 30 * 60_000, priority: 30 * 60_000, emergency: Number.POSITIVE_INFINITY },
  lateToleranceMs: 500,
  decodeTimeoutMs: 10_000,
  ampFailure: "play",
};

export interface PlayerDeps {
  clock: Clock;
  /** local clock + offset = cloud time (from time/req; ARCHITECTURE §3). Read at every use. */
  clockOffsetMs: () => number;
  amp: Amplifier;
  media: MediaLookup;
  decoder: Decoder;
  sink: AudioSink;
  /** Receives every event; may return a promise (the outbox); rejections are logged, never thrown. */
  emit: (event: PlayerEvent) => void | Promise<void>;
  handled: HandledPlays;
  log: Logger;
  options?: Partial<PlayerOptions>;
  /** Where plays start at their second; players of one process may share one (the fleet simulator). */
  startLine?: StartLine;
}

/** What plays now, for telemetry. */
export interface CurrentPlay {
  kind: "play" | "test_tone";
  playId: string;
  /** ISO, cloud time of the first sample. */
  since: string;
  priority: Priority;
}

export interface ToneRequest {
  freqHz: number;
  durationMs: number;
  volume: number;
}

export interface ToneResult {
  startedAt: string;
  playedMs: number;
  /** Who cut the tone short (a play falling due, a stop, the shutdown), or null. */
  interruptedBy: Interrupter | null;
  /** The amplifier error met while powering or unmuting, if any (the tone still went to the line-out). */
  ampError: string | null;
}
