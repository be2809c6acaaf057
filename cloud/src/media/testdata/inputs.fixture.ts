/**
 * Test inputs made on the fly with real ffmpeg and espeak-ng, so no binary fixtures are committed.
 */
import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { resolveFfmpeg, type FfmpegBinaries } from "../../adapters/ffmpeg/resolve.js";

const run = promisify(execFile);

export const SPEECH_VI = "Xin chào bà con, đây là thông báo của ủy ban nhân dân xã. Ngày mai có họp thôn lúc tám giờ sáng.";

let bins: Promise<FfmpegBinaries> | undefined;
export function binaries(): Promise<FfmpegBinaries> {
  bins ??= resolveFfmpeg();
  return bins;
}

export async function ffmpeg(...args: string[]): Promise<void> {
  const { ffmpegPath } = await binaries();
  await run(ffmpegPath, ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", ...args]);
}

export interface Probed {
  codec: string;
  channels: number;
  sampleRate: number;
  durationS: number;
}

export async function probe(path: string): Promise<Probed> {
  const { ffprobePath } = await binaries();
  const { stdout } = await run(ffprobePath, ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", path]);
  const doc = JSON.parse(stdout) as {
    format: { duration: string };
    streams: Array<{ codec_type: string; codec_name: string; channels: number; sample_rate: string }>;
  };
  const a = doc.streams.find((s) => s.codec_type === "audio");
  if (!a) throw new Error(`${path} has no audio stream`);
  return { codec: a.codec_name, channels: a.channels, sampleRate: Number(a.sample_rate), durationS: Number(doc.format.duration) };
}

/** Vietnamese speech from espeak-ng as WAV (22.05 kHz mono). */
export async function speechWav(dir: string, text = SPEECH_VI, name = "speech.wav"): Promise<string> {
  const out = join(dir, name);
  await run("espeak-ng", ["-v", "vi", "-b", "1", "-w", out, text]);
  return out;
}

/** Re-encodes `input` into `name` under `dir` with the given codec arguments. */
export async function convert(input: string, dir: string, name: string, ...codecArgs: string[]): Promise<string> {
  const out = join(dir, name);
  await ffmpeg("-i", input, ...codecArgs, out);
  return out;
}

export async function silenceWav(dir: string, seconds: number): Promise<string> {
  const out = join(dir, `silence-${seconds}s.wav`);
  await ffmpeg("-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", String(seconds), "-c:a", "pcm_s16le", out);
  return out;
}

/** Names in a directory, sorted; empty when it does not exist. */
export async function ls(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}
