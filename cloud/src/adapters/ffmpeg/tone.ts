/**
 * A test tone from ffmpeg's sine source: the demo seeds a bulletin with it and tests use it as a known
 * input. Written as WAV (PCM) or Opus in Ogg.
 */
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { mediaError } from "../../media/errors.js";
import { resolveFfmpeg } from "./resolve.js";
import { runProcess } from "./run.js";

export interface ToneOptions {
  /** Default 1000 Hz. */
  freqHz?: number;
  durationMs: number;
  /** Default 48000 Hz. */
  sampleRate?: number;
  /** Default "wav". */
  format?: "wav" | "opus";
  /** Gain on ffmpeg's sine (which peaks at -18 dBFS); default 0. */
  gainDb?: number;
  /** Default a new file in the system temp dir; the caller deletes it. */
  outPath?: string;
  /** Default: resolved as the pipeline does (FFMPEG_PATH, packages, PATH). */
  ffmpegPath?: string;
}

export async function generateTone(opts: ToneOptions): Promise<string> {
  const freqHz = opts.freqHz ?? 1000;
  const sampleRate = opts.sampleRate ?? 48_000;
  const format = opts.format ?? "wav";
  if (!(freqHz > 0 && opts.durationMs > 0 && sampleRate >= 8000)) {
    throw new RangeError("generateTone: freqHz and durationMs must be positive, sampleRate at least 8000");
  }
  const out = resolve(opts.outPath ?? join(tmpdir(), `loa-tone-${randomUUID()}.${format === "wav" ? "wav" : "opus"}`));
  const ffmpeg = opts.ffmpegPath ?? (await resolveFfmpeg()).ffmpegPath;
  const source = `sine=frequency=${freqHz}:sample_rate=${sampleRate}:duration=${opts.durationMs / 1000}`;
  const args = ["-nostdin", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", source];
  args.push("-af", `volume=${opts.gainDb ?? 0}dB`, "-fflags", "+bitexact", "-flags:a", "+bitexact");
  if (format === "wav") args.push("-c:a", "pcm_s16le", "-f", "wav");
  else args.push("-ar", "48000", "-c:a", "libopus", "-b:a", "32k", "-f", "ogg");
  args.push("-y", `file:${out}`);
  const r = await runProcess(ffmpeg, args, { timeoutMs: 60_000 });
  if (r.code !== 0) throw mediaError("ffmpeg_failed", {}, { stage: "tone", stderr: r.stderr.trim() });
  return out;
}
