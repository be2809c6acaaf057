import { z } from "zod";
import { AgentVersion } from "./status.js";
import { Volume } from "../model.js";
import { Code, EpochMs, UtcTime, NonNegInt, PlayId, Sha256 } from "./common.js";
import { LIMITS } from "./limits.js";

const Num = z.number();
const NonNeg = z.number().min(0);

/**
 * What the agent last read from the amplifier (ARCHITECTURE §5). Only `reachable` and `faults` are always
 * known; the rest is absent when the amplifier does not answer or its profile lacks the register (a
 * relay-only board has no volume, mute, temperature or signal).
 */
export const AmpHealth = z.object({
  reachable: z.boolean(),
  powered: z.boolean().optional(),
  muted: z.boolean().optional(),
  volume: Volume.optional(),
  /** Active fault codes from the profile's status bits, e.g. `over_temperature`, `line_open`. */
  faults: z.array(Code).max(LIMITS.faultsMax),
  temperatureC: Num.min(-100).max(300).optional(),
  /** Input signal present. */
  signal: z.boolean().optional(),
  supplyV: NonNeg.max(1000).optional(),
  outputMa: NonNeg.max(1_000_000).optional(),
  /** `major.minor` from the firmwareVersion register. */
  firmware: z.string().max(32).optional(),
});
export type AmpHealth = z.infer<typeof AmpHealth>;

/** What plays right now; `playId` is absent for a test tone. */
export const NowPlaying = z.object({
  playId: PlayId.optional(),
  sha256: Sha256.optional(),
  startedAt: UtcTime,
  positionMs: NonNegInt.optional(),
  durationMs: NonNegInt.optional(),
});
export type NowPlaying = z.infer<typeof NowPlaying>;

/** Health sample, published every `telemetryIntervalS` (ARCHITECTURE §3 telemetry, QoS 0). */
export const TelemetryPayload = z.object({
  /** When the sample was taken, by the device clock. */
  ts: EpochMs,
  agentVersion: AgentVersion,
  uptimeS: NonNegInt,
  /** SoC temperature; absent where the board has no sensor. */
  cpuTempC: Num.min(-100).max(300).optional(),
  load1: NonNeg.max(10_000),
  memFreeMb: NonNeg,
  memTotalMb: NonNeg,
  /** Free space on the filesystem that holds the media cache. */
  diskFreeMb: NonNeg,
  /** Bytes held in the media cache. */
  cacheBytes: NonNegInt,
  amp: AmpHealth,
  /**
   * NTP offset from the last time sync: cloud clock minus device clock (add it to device time to get cloud
   * time; see `clockOffset`). Absent until the first sync succeeded.
   */
  clockOffsetMs: Num.min(-1e12).max(1e12).optional(),
  playing: NowPlaying.nullable(),
  /** Events in the outbox not yet acknowledged. */
  outboxDepth: NonNegInt,
});
export type TelemetryPayload = z.infer<typeof TelemetryPayload>;
