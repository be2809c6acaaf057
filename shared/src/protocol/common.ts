import { z } from "zod";
import { Codec } from "../model.js";
import { LIMITS } from "./limits.js";

/**
 * Building blocks shared by the payload schemas (ARCHITECTURE §3).
 *
 * Time: instants that belong to the schedule and are shown to people (`at`, `serverTime`, `startedAt`,
 * `expiresAt`) are ISO 8601 UTC strings with `Z` (ARCHITECTURE §2/§3 "at: ISO"); machine stamps used in
 * arithmetic (`ts` on events and telemetry, `t0/t1/t2` of time sync) are epoch milliseconds.
 */

export const DEVICE_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
export const SHA256_RE = /^[0-9a-f]{64}$/;
/** Ids we mint ourselves (playId `<broadcastId>:<epoch ms>`, cmdId, bootId): printable, no spaces. */
const TOKEN_RE = /^[A-Za-z0-9_.:-]+$/;
/** Machine codes (fault codes, error codes): snake case. */
const CODE_RE = /^[a-z0-9_]+$/;

export const DeviceId = z.string().regex(DEVICE_ID_RE, "must match [A-Za-z0-9_-]{1,64}");
export type DeviceId = z.infer<typeof DeviceId>;

export const Sha256 = z.string().regex(SHA256_RE, "must be 64 lowercase hex characters");
export type Sha256 = z.infer<typeof Sha256>;

/** An identifier token: playId, byPlayId, cmdId, bootId. */
export const IdToken = z
  .string()
  .min(1)
  .max(LIMITS.idMax)
  .regex(TOKEN_RE, "must be letters, digits or _ . : -");

export const PlayId = IdToken;
export type PlayId = z.infer<typeof PlayId>;

/** Snake-case machine code (amplifier fault names come from the profile, so they are not an enum). */
export const Code = z.string().min(1).max(64).regex(CODE_RE, "must be snake_case [a-z0-9_]");

export const Text = z.string().max(LIMITS.textMax);

/** Epoch milliseconds, integer, not before 1970 and inside the range of Date. */
export const EpochMs = z.number().int().min(0).max(8_640_000_000_000_000);
export type EpochMs = z.infer<typeof EpochMs>;

/**
 * ISO 8601 UTC instant, e.g. `2026-01-01T06:00:00.000Z`. Stricter than the model's UtcTime: on the wire
 * only `Z` is accepted, so devices compare and log one canonical form.
 */
export const UtcTime = z.iso.datetime();
export type UtcTime = z.infer<typeof UtcTime>;

/** The canonical ISO form every encoder should produce. */
export function isoOf(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

export const NonNegInt = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Per-device event sequence number: starts at 1, survives reboots (ARCHITECTURE §3 "Nothing lost"). */
export const Seq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
export type Seq = z.infer<typeof Seq>;

/**
 * How to fetch and play one audio file: `{sha256, bytes, chunkSize, durationMs, codec}` (ARCHITECTURE §3
 * plan). The chunk count `ceil(bytes / chunkSize)` is bounded so `media/req` can always name every chunk.
 */
export const MediaRef = z
  .object({
    sha256: Sha256,
    bytes: z.number().int().min(1).max(LIMITS.mediaBytesMax),
    chunkSize: z.number().int().min(LIMITS.chunkSizeMin).max(LIMITS.chunkSizeMax),
    durationMs: z.number().int().min(1).max(LIMITS.durationMsMax),
    codec: Codec,
  })
  .refine((m) => chunkCount(m) <= LIMITS.missingChunks, {
    message: `more than ${LIMITS.missingChunks} chunks`,
    path: ["chunkSize"],
  });
export type MediaRef = z.infer<typeof MediaRef>;

/** Number of chunks of a media file; the last one may be short. */
export function chunkCount(media: { bytes: number; chunkSize: number }): number {
  return Math.ceil(media.bytes / media.chunkSize);
}
