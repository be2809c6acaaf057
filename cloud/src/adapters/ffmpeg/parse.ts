/**
 * Reading what ffprobe and ffmpeg print. Pure functions over captured text, so they are tested on real
 * captured output without running the tools. ffmpeg runs with `-loglevel level+info`, which prefixes each
 * line with its level (`[error]`), so complaints are told apart from information reliably.
 */
import type { LoudnessMeasurement, ProbeOutcome, ProbedAudio } from "../../media/ports.js";

type Json = Record<string, unknown>;

function asObject(x: unknown): Json | undefined {
  return typeof x === "object" && x !== null && !Array.isArray(x) ? (x as Json) : undefined;
}

function asNumber(x: unknown): number | null {
  const n = typeof x === "number" ? x : typeof x === "string" && x.trim() !== "" ? Number(x) : Number.NaN;
  return Number.isFinite(n) ? n : null;
}

/** A level as ffmpeg prints it: "-18.94", "-inf", "inf". Null when it is none of these. */
export function parseDb(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (t === "-inf") return Number.NEGATIVE_INFINITY;
  if (t === "inf" || t === "+inf") return Number.POSITIVE_INFINITY;
  return asNumber(t);
}

function firstAudio(streams: unknown): ProbedAudio | null {
  if (!Array.isArray(streams)) return null;
  for (const s of streams) {
    const o = asObject(s);
    if (o?.codec_type !== "audio") continue;
    return {
      codec: typeof o.codec_name === "string" ? o.codec_name : "unknown",
      channels: asNumber(o.channels) ?? 0,
      sampleRate: asNumber(o.sample_rate) ?? 0,
    };
  }
  return null;
}

/** ffprobe `-print_format json -show_format -show_streams -show_error` output and exit code. */
export function parseProbe(stdout: string, exitCode: number | null, stderr = ""): ProbeOutcome {
  let doc: Json | undefined;
  try {
    doc = asObject(JSON.parse(stdout));
  } catch {
    doc = undefined;
  }
  const error = asObject(doc?.error);
  const format = asObject(doc?.format);
  const formatName = format?.format_name;
  if (exitCode !== 0 || error || typeof formatName !== "string" || formatName === "") {
    const detail = typeof error?.string === "string" ? error.string : stderr.trim().split("\n").pop() ?? "";
    return { kind: "unrecognised", detail: detail || `ffprobe exit ${String(exitCode)}` };
  }
  const durationS = asNumber(format?.duration);
  return { kind: "ok", info: { formatName, durationS, audio: firstAudio(doc?.streams) } };
}

/** The last JSON object loudnorm printed (`print_format=json`), raw. */
function loudnormJson(stderr: string): Json | undefined {
  const at = stderr.lastIndexOf('"input_i"');
  if (at < 0) return undefined;
  const open = stderr.lastIndexOf("{", at);
  const close = stderr.indexOf("}", at);
  if (open < 0 || close < 0) return undefined;
  try {
    return asObject(JSON.parse(stderr.slice(open, close + 1)));
  } catch {
    return undefined;
  }
}

export function parseLoudnorm(stderr: string): LoudnessMeasurement | null {
  const j = loudnormJson(stderr);
  if (!j) return null;
  const get = (k: string): number | null => (typeof j[k] === "string" ? parseDb(j[k]) : null);
  const m = {
    inputI: get("input_i"),
    inputTp: get("input_tp"),
    inputLra: get("input_lra"),
    inputThresh: get("input_thresh"),
    targetOffset: get("target_offset"),
  };
  if (Object.values(m).some((v) => v === null)) return null;
  return m as LoudnessMeasurement;
}

/** loudnorm's verdict in its second pass: whether a plain gain sufficed. */
export function parseLoudnormMode(stderr: string): "linear" | "dynamic" | undefined {
  const t = loudnormJson(stderr)?.normalization_type;
  return t === "linear" || t === "dynamic" ? t : undefined;
}

export interface VolumeStats {
  nSamples: number;
  meanDb: number;
  maxDb: number;
}

function lastMatch(text: string, re: RegExp): string | undefined {
  let found: string | undefined;
  for (const m of text.matchAll(re)) found = m[1];
  return found;
}

/** volumedetect's summary; null when it printed none (nothing was decoded). */
export function parseVolumedetect(stderr: string): VolumeStats | null {
  const n = lastMatch(stderr, /n_samples: (\d+)/g);
  const mean = lastMatch(stderr, /mean_volume: (\S+) dB/g);
  const max = lastMatch(stderr, /max_volume: (\S+) dB/g);
  if (n === undefined || mean === undefined || max === undefined) return null;
  const meanDb = parseDb(mean);
  const maxDb = parseDb(max);
  if (meanDb === null || maxDb === null) return null;
  return { nSamples: Number(n), meanDb, maxDb };
}

/** ebur128's integrated loudness; null when absent or at the meter's floor (-70 LUFS: nothing above the gate). */
export function parseEbur128Integrated(stderr: string): number | null {
  const at = stderr.lastIndexOf("Summary:");
  if (at < 0) return null;
  const m = /I:\s+(\S+) LUFS/.exec(stderr.slice(at));
  const v = m?.[1] === undefined ? null : parseDb(m[1]);
  return v === null || !Number.isFinite(v) || v <= -70 ? null : v;
}

const PROBLEM = /\[(error|fatal|panic)\]/;
const BAD_WARNING = /\[warning\].*(corrupt|do not match)/i;

/** Lines where the demuxer or decoder said the data is bad. */
export function decodeProblems(stderr: string): string[] {
  return stderr
    .split("\n")
    .filter((line) => PROBLEM.test(line) || BAD_WARNING.test(line))
    .map((line) => line.trim());
}

/** The container length was guessed from the bitrate (mp3 without a Xing header, truncated wav). */
export function durationEstimated(stderr: string): boolean {
  return stderr.includes("Estimating duration from bitrate");
}
