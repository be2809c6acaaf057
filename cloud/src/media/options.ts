/** Limits and targets of the media pipeline (ARCHITECTURE §6), each overridable by the wiring. */
import { availableParallelism } from "node:os";
import type { Codec } from "@loa/shared";

export interface MediaOptions {
  /** Largest upload accepted, bytes. */
  maxBytes: number;
  /** Longest audio accepted, seconds. */
  maxDurationS: number;
  /** Loudness target, LUFS (speech on loudspeakers: about -16). */
  targetLufs: number;
  /** True-peak ceiling, dBTP. */
  truePeakDb: number;
  /** Loudness range target, LU. */
  lra: number;
  /** Output codec when a call does not choose one. */
  codec: Codec;
  opusBitrateKbps: number;
  mp3BitrateKbps: number;
  /** Below this sample peak (dBFS) a file counts as silent. */
  silenceMaxVolumeDb: number;
  /** Below this integrated loudness (LUFS) a file counts as silent. */
  silenceLufs: number;
  /** Shorter clips cannot go through loudnorm (it needs a 3 s window) and get a static gain instead. */
  minLoudnormS: number;
  maxTextChars: number;
  ttsVoice: string;
  /** Ingests that may run ffmpeg at the same time; more wait their turn. */
  concurrency: number;
  /**
   * Demuxers accepted (any name of ffprobe's comma list). An allowlist, because playlist demuxers such
   * as hls or concat would make ffmpeg open other files or URLs named inside an upload.
   */
  allowedFormats: readonly string[];
}

export const DEFAULT_MEDIA_OPTIONS: Readonly<MediaOptions> = Object.freeze({
  maxBytes: 50 * 1024 * 1024,
  maxDurationS: 1800,
  targetLufs: -16,
  truePeakDb: -1.5,
  lra: 11,
  codec: "opus",
  opusBitrateKbps: 32,
  mp3BitrateKbps: 64,
  silenceMaxVolumeDb: -50,
  silenceLufs: -60,
  minLoudnormS: 3,
  maxTextChars: 5000,
  ttsVoice: "vi",
  concurrency: Math.max(1, Math.floor(availableParallelism() / 2)),
  allowedFormats: Object.freeze([
    "wav", "w64", "mp3", "ogg", "flac", "mov", "mp4", "m4a", "3gp", "aac", "amr", "amrnb", "amrwb",
    "matroska", "webm", "asf", "aiff", "caf", "au",
  ]),
});

export function resolveMediaOptions(partial: Partial<MediaOptions> = {}): MediaOptions {
  const o: MediaOptions = { ...DEFAULT_MEDIA_OPTIONS, ...partial };
  for (const key of ["maxBytes", "maxDurationS", "opusBitrateKbps", "mp3BitrateKbps", "maxTextChars", "concurrency"] as const) {
    if (!Number.isFinite(o[key]) || o[key] <= 0) throw new RangeError(`media option ${key} must be a positive number`);
  }
  if (!(o.targetLufs < 0 && o.targetLufs >= -70)) throw new RangeError("media option targetLufs must be in [-70, 0)");
  return o;
}

export const SAMPLE_RATE = 48_000;

export function extOf(codec: Codec): "opus" | "mp3" {
  return codec === "opus" ? "opus" : "mp3";
}

/** Content-Type for serving a stored file (Opus lives in an Ogg container). */
export function mimeTypeOf(codec: Codec): string {
  return codec === "opus" ? "audio/ogg; codecs=opus" : "audio/mpeg";
}
