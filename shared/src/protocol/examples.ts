import type { CommandOf, CommandType } from "./cmd.js";
import type { MediaRef } from "./common.js";
import type { EventOf, EventType } from "./events.js";
import type { PayloadKind, PayloadOf } from "./payloads.js";
import type { StatusWill } from "./status.js";

/**
 * Valid example payloads for every topic (ARCHITECTURE §3). Tests across the repo reuse them, and
 * docs/protocol.md shows exactly these (a test keeps the two in sync).
 */
export const EXAMPLE_DEVICE_ID = "dev_3f9a1c2b7d4e";
export const EXAMPLE_SHA256 = "fac12128559d972c8e62dd4312e7d6b0c3902a8f43d9b1a630d9b15cc2f427bd";
export const EXAMPLE_SHA256_2 = "edae4a844b61eb996de1bb1e2842a6234c6948ecb6e97c3c9937a6cb8b095424";
/** 2026-01-01T06:00:00.000Z, 13:00 in Asia/Ho_Chi_Minh. */
export const EXAMPLE_AT_MS = 1767247200000;
export const EXAMPLE_PLAY_ID = `bc_7d4e3f9a1c2b:${EXAMPLE_AT_MS}`;

export const exampleMedia: MediaRef = {
  sha256: EXAMPLE_SHA256,
  bytes: 262_144,
  chunkSize: 65_536,
  durationMs: 74_500,
  codec: "opus",
};

export const exampleStatusWill: StatusWill = { online: false, bootId: "b_9c0e51d2a7f3" };

/** One valid event of every type, seqs 101..110 in order. */
export const exampleEvents: { [T in EventType]: EventOf<T> } = {
  plan_applied: { seq: 101, ts: 1767246000000, type: "plan_applied", version: 42 },
  media_ready: { seq: 102, ts: 1767246060000, type: "media_ready", sha256: EXAMPLE_SHA256 },
  play_started: {
    seq: 103,
    ts: 1767247200012,
    type: "play_started",
    playId: EXAMPLE_PLAY_ID,
    at: "2026-01-01T06:00:00.000Z",
    startedAt: "2026-01-01T06:00:00.012Z",
  },
  play_finished: { seq: 104, ts: 1767247274530, type: "play_finished", playId: EXAMPLE_PLAY_ID, playedMs: 74_500 },
  play_failed: {
    seq: 105,
    ts: 1767250800000,
    type: "play_failed",
    playId: "bc_7d4e3f9a1c2b:1767250800000",
    reason: "decoder exited with code 1",
  },
  play_missed: { seq: 106, ts: 1767254460000, type: "play_missed", playId: "bc_7d4e3f9a1c2b:1767254400000", reason: "media_missing" },
  play_interrupted: {
    seq: 107,
    ts: 1767258030000,
    type: "play_interrupted",
    playId: "bc_7d4e3f9a1c2b:1767258000000",
    byPlayId: "bc_e1a0c3d59b77:1767258030000",
    playedMs: 30_000,
  },
  amp_fault: { seq: 108, ts: 1767258100000, type: "amp_fault", code: "over_temperature", detail: "temperature 86.5 °C" },
  amp_recovered: { seq: 109, ts: 1767258700000, type: "amp_recovered", code: "over_temperature" },
  outbox_dropped: { seq: 110, ts: 1767259000000, type: "outbox_dropped", count: 3, fromSeq: 7, toSeq: 9 },
};

const expiresAt = "2026-01-01T06:05:00.000Z";

/** One valid command of every type. */
export const exampleCommands: { [T in CommandType]: CommandOf<T> } = {
  play_now: {
    cmdId: "cmd_51d2a7f39c0e",
    type: "play_now",
    args: { playId: "bc_e1a0c3d59b77:1767247260000", media: exampleMedia, priority: "emergency", volume: 90 },
    expiresAt,
  },
  stop: { cmdId: "cmd_a7f39c0e51d2", type: "stop", args: {}, expiresAt },
  set_volume: { cmdId: "cmd_0e51d2a7f39c", type: "set_volume", args: { volume: 70 }, expiresAt },
  amp_power: { cmdId: "cmd_f39c0e51d2a7", type: "amp_power", args: { on: true }, expiresAt },
  test_tone: { cmdId: "cmd_2a7f39c0e51d", type: "test_tone", args: { freqHz: 1000, durationMs: 3000, volume: 40 }, expiresAt },
  sync_time: { cmdId: "cmd_9c0e51d2a7f3", type: "sync_time", args: {}, expiresAt },
  reboot: { cmdId: "cmd_e51d2a7f39c0", type: "reboot", args: {}, expiresAt },
};

export const exampleCmdResError: PayloadOf<"cmdRes"> = {
  cmdId: "cmd_0e51d2a7f39c",
  ok: false,
  error: { code: "amp_timeout", message: "amplifier did not answer (3 tries)" },
};

/** One canonical valid payload per JSON topic kind. */
export const examples: { [K in PayloadKind]: PayloadOf<K> } = {
  status: {
    online: true,
    bootId: "b_9c0e51d2a7f3",
    agentVersion: "0.1.0",
    profile: "loa-amp-v1",
    startedAt: "2026-01-01T05:58:12.345Z",
  },
  telemetry: {
    ts: 1767247230000,
    agentVersion: "0.1.0",
    uptimeS: 5_237,
    cpuTempC: 48.3,
    load1: 0.21,
    memFreeMb: 612,
    memTotalMb: 1_024,
    diskFreeMb: 11_840,
    cacheBytes: 52_428_800,
    amp: { reachable: true, powered: true, muted: false, volume: 80, faults: [], temperatureC: 41.5, signal: true, supplyV: 24.1, outputMa: 850, firmware: "1.2" },
    clockOffsetMs: -3,
    playing: { playId: EXAMPLE_PLAY_ID, sha256: EXAMPLE_SHA256, startedAt: "2026-01-01T06:00:00.012Z", positionMs: 30_000, durationMs: 74_500 },
    outboxDepth: 2,
  },
  events: {
    seq: 104,
    events: [exampleEvents.play_started, exampleEvents.play_finished],
  },
  ack: { upToSeq: 104 },
  plan: {
    version: 42,
    serverTime: "2026-01-01T05:59:00.000Z",
    items: [
      { playId: EXAMPLE_PLAY_ID, at: "2026-01-01T06:00:00.000Z", priority: "normal", media: exampleMedia },
      {
        playId: "bc_e1a0c3d59b77:1767250800000",
        at: "2026-01-01T07:00:00.000Z",
        priority: "priority",
        volume: 85,
        media: { sha256: EXAMPLE_SHA256_2, bytes: 131_072, chunkSize: 65_536, durationMs: 40_000, codec: "mp3" },
      },
    ],
  },
  cmd: exampleCommands.set_volume,
  cmdRes: { cmdId: "cmd_0e51d2a7f39c", ok: true, result: { volume: 70 } },
  mediaReq: { sha256: EXAMPLE_SHA256, missing: [0, 2, 3] },
  timeReq: { t0: 1767247200000 },
  timeRes: { t0: 1767247200000, t1: 1767247200041, t2: 1767247200042 },
};
