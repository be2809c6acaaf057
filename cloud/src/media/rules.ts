/**
 * What a probe or a decode means for an upload (ARCHITECTURE §6): pure decisions, so they are tested
 * without ffmpeg. Each check throws the MediaError staff will see.
 */
import { mediaError } from "./errors.js";
import type { MediaOptions } from "./options.js";
import type { DecodeAnalysis, Normalization, ProbeInfo, ProbeOutcome, ProbedAudio } from "./ports.js";

export type AudioProbe = ProbeInfo & { audio: ProbedAudio };

/** Gated loudness needs at least one 400 ms block; shorter clips cannot be measured at all. */
const MIN_MEASURABLE_S = 0.4;
/** Headroom kept under the true-peak ceiling when only the sample peak is known. */
const SAMPLE_PEAK_MARGIN_DB = 0.5;
const MAX_GAIN_DB = 30;

export function formatAllowed(formatName: string, allowed: readonly string[]): boolean {
  return formatName.split(",").some((name) => allowed.includes(name.trim()));
}

export function checkBytes(bytes: number, opts: Pick<MediaOptions, "maxBytes">): void {
  if (bytes > opts.maxBytes) throw mediaError("too_big", { maxBytes: opts.maxBytes }, { bytes });
}

export function checkProbe(outcome: ProbeOutcome, opts: MediaOptions): AudioProbe {
  if (outcome.kind === "unrecognised") throw mediaError("not_audio", {}, { reason: outcome.detail });
  const info = outcome.info;
  if (!formatAllowed(info.formatName, opts.allowedFormats)) {
    throw mediaError("not_audio", {}, { reason: `format ${info.formatName} is not accepted` });
  }
  if (!info.audio) throw mediaError("not_audio", {}, { reason: "no audio stream" });
  if (info.durationS !== null && info.durationS > opts.maxDurationS) {
    throw mediaError("too_long", { maxDurationS: opts.maxDurationS }, { durationS: info.durationS });
  }
  return { ...info, audio: info.audio };
}

/** Truncation shows as audio missing at the end that the container promised. */
function truncated(probe: ProbeInfo, a: DecodeAnalysis): boolean {
  if (probe.durationS === null || a.durationEstimated) return false;
  const missing = probe.durationS - a.decodedDurationS;
  return missing > Math.max(0.5, probe.durationS * 0.05);
}

export function isSilent(a: DecodeAnalysis, opts: MediaOptions): boolean {
  if (!(a.maxVolumeDb >= opts.silenceMaxVolumeDb)) return true;
  const i = a.loudness?.inputI;
  if (i === undefined) return false;
  if (Number.isFinite(i)) return i < opts.silenceLufs;
  return i === Number.NEGATIVE_INFINITY && a.decodedDurationS >= MIN_MEASURABLE_S;
}

export function checkDecode(probe: ProbeInfo, a: DecodeAnalysis, opts: MediaOptions): void {
  if (a.exitCode !== 0 || a.problems.length > 0 || truncated(probe, a)) {
    throw mediaError("corrupt", {}, {
      exitCode: a.exitCode,
      problems: a.problems.slice(0, 5),
      probedDurationS: probe.durationS,
      decodedDurationS: a.decodedDurationS,
    });
  }
  if (a.decodedDurationS > opts.maxDurationS) {
    throw mediaError("too_long", { maxDurationS: opts.maxDurationS }, { decodedDurationS: a.decodedDurationS });
  }
  if (isSilent(a, opts)) {
    throw mediaError("silent", {}, { maxVolumeDb: a.maxVolumeDb, inputLufs: a.loudness?.inputI ?? null });
  }
}

export interface NormalizationChoice {
  normalization: Normalization;
  /** Why the pipeline did not do the usual two-pass loudnorm; absent when it did. */
  note?: string;
}

function measured(a: DecodeAnalysis): a is DecodeAnalysis & { loudness: NonNullable<DecodeAnalysis["loudness"]> } {
  const m = a.loudness;
  return m !== null && [m.inputI, m.inputTp, m.inputLra, m.inputThresh, m.targetOffset].every(Number.isFinite);
}

/**
 * Two-pass loudnorm when the first pass measured the file; one-pass loudnorm when it could not; a static
 * gain for clips shorter than loudnorm's 3 s window (loudnorm leaves those unchanged).
 */
export function chooseNormalization(a: DecodeAnalysis, opts: MediaOptions): NormalizationChoice {
  if (a.decodedDurationS >= opts.minLoudnormS) {
    if (measured(a)) return { normalization: { method: "two-pass", measured: a.loudness } };
    return { normalization: { method: "one-pass" }, note: "loudness measurement failed; normalised in one pass" };
  }
  const i = a.loudness?.inputI;
  const estimate = i !== undefined && Number.isFinite(i) ? i : a.meanVolumeDb;
  const toTarget = opts.targetLufs - estimate;
  const toPeak = opts.truePeakDb - SAMPLE_PEAK_MARGIN_DB - a.maxVolumeDb;
  const gainDb = Math.round(Math.max(-MAX_GAIN_DB, Math.min(MAX_GAIN_DB, toTarget, toPeak)) * 100) / 100;
  return {
    normalization: { method: "gain", gainDb },
    note: `clip shorter than ${opts.minLoudnormS} s: applied a static gain of ${gainDb} dB instead of loudnorm`,
  };
}
