/**
 * The AudioTranscoder port on real ffmpeg/ffprobe (ARCHITECTURE §6). Inputs are opened as `file:` URLs
 * with only the file protocol allowed, and later passes force the demuxer the probe found, so an upload
 * can never make ffmpeg read another file or a URL.
 */
import { resolve as resolvePath } from "node:path";
import type { Logger } from "pino";
import { SystemClock, type Clock } from "@loa/shared";
import { mediaError } from "../../media/errors.js";
import type {
  AnalyzeRequest,
  AudioTranscoder,
  DecodeAnalysis,
  EncodeReport,
  EncodeRequest,
  LoudnessTarget,
  Normalization,
  ProbeOutcome,
} from "../../media/ports.js";
import {
  decodeProblems,
  durationEstimated,
  parseEbur128Integrated,
  parseLoudnorm,
  parseLoudnormMode,
  parseProbe,
  parseVolumedetect,
} from "./parse.js";
import { resolveFfmpeg } from "./resolve.js";
import { runProcess, type RunResult } from "./run.js";

export interface FfmpegTranscoderDeps {
  ffmpegPath: string;
  ffprobePath: string;
  /** Deadline for one ffmpeg run; a 30-minute file takes well under a minute per pass. */
  timeoutMs?: number;
  clock?: Clock;
  log?: Logger;
}

/** Decode and measure at one fixed rate, so samples counted are seconds decoded. */
const MEASURE_RATE = 48_000;
const PREPARE = `aformat=sample_rates=${MEASURE_RATE}:channel_layouts=mono`;

const fileUrl = (path: string): string => `file:${resolvePath(path)}`;
const fmt = (n: number): string => n.toFixed(2);

function loudnormArgs(t: LoudnessTarget): string {
  return `loudnorm=I=${fmt(t.i)}:TP=${fmt(t.tp)}:LRA=${fmt(t.lra)}`;
}

/** The filter chain of pass 2 (ARCHITECTURE §6: resample after loudnorm, which works at 192 kHz). */
export function normalizeChain(n: Normalization, t: LoudnessTarget, sampleRate: number): string {
  switch (n.method) {
    case "two-pass": {
      const m = n.measured;
      const measured =
        `measured_I=${fmt(m.inputI)}:measured_TP=${fmt(m.inputTp)}:measured_LRA=${fmt(m.inputLra)}` +
        `:measured_thresh=${fmt(m.inputThresh)}:offset=${fmt(m.targetOffset)}`;
      return `${PREPARE},${loudnormArgs(t)}:${measured}:linear=true:print_format=json,aresample=${sampleRate}`;
    }
    case "one-pass":
      return `${PREPARE},${loudnormArgs(t)}:print_format=json,aresample=${sampleRate}`;
    case "gain":
      return `${PREPARE},volume=volume=${fmt(n.gainDb)}dB:precision=float,aresample=${sampleRate}`;
  }
}

function codecArgs(req: EncodeRequest): string[] {
  const rate = `${Math.round(req.bitrateKbps)}k`;
  if (req.codec === "opus") return ["-c:a", "libopus", "-b:a", rate, "-application", "voip", "-f", "ogg"];
  return ["-c:a", "libmp3lame", "-b:a", rate, "-id3v2_version", "0", "-write_id3v1", "0", "-f", "mp3"];
}

export class FfmpegTranscoder implements AudioTranscoder {
  private readonly deps: FfmpegTranscoderDeps;
  private readonly timeoutMs: number;
  private readonly clock: Clock;

  constructor(deps: FfmpegTranscoderDeps) {
    this.deps = deps;
    this.timeoutMs = deps.timeoutMs ?? 15 * 60_000;
    this.clock = deps.clock ?? new SystemClock();
  }

  async probe(path: string): Promise<ProbeOutcome> {
    const args = ["-v", "error", "-protocol_whitelist", "file", "-print_format", "json"];
    args.push("-show_format", "-show_streams", "-show_error", fileUrl(path));
    const r = await this.run(this.deps.ffprobePath, args);
    return parseProbe(r.stdout, r.code, r.stderr);
  }

  async analyze(req: AnalyzeRequest): Promise<DecodeAnalysis> {
    const chain = `${PREPARE},volumedetect,${loudnormArgs(req.target)}:print_format=json`;
    const args = [...this.inputArgs(req.formatName), "-t", String(req.capS), "-i", fileUrl(req.input)];
    args.push("-map", "0:a:0", "-vn", "-sn", "-dn", "-af", chain, "-f", "null", "-");
    const r = await this.run(this.deps.ffmpegPath, args);
    const vol = parseVolumedetect(r.stderr);
    return {
      exitCode: r.code ?? -1,
      decodedDurationS: vol ? vol.nSamples / MEASURE_RATE : 0,
      maxVolumeDb: vol?.maxDb ?? Number.NEGATIVE_INFINITY,
      meanVolumeDb: vol?.meanDb ?? Number.NEGATIVE_INFINITY,
      loudness: parseLoudnorm(r.stderr),
      problems: decodeProblems(r.stderr),
      durationEstimated: durationEstimated(r.stderr),
    };
  }

  async encode(req: EncodeRequest): Promise<EncodeReport> {
    const args = [...this.inputArgs(req.formatName), "-i", fileUrl(req.input)];
    args.push("-map", "0:a:0", "-vn", "-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1");
    // bitexact: no random Ogg serial and no encoder version tag, so equal input gives equal bytes (dedup).
    args.push("-fflags", "+bitexact", "-flags:a", "+bitexact");
    args.push("-af", normalizeChain(req.normalization, req.target, req.sampleRate));
    args.push("-ac", "1", "-ar", String(req.sampleRate), ...codecArgs(req), "-y", fileUrl(req.output));
    const r = await this.run(this.deps.ffmpegPath, args);
    if (r.code !== 0) throw this.failure("encode", r);
    const mode = req.normalization.method === "gain" ? undefined : parseLoudnormMode(r.stderr);
    return mode ? { loudnormMode: mode } : {};
  }

  async loudness(path: string): Promise<number | null> {
    const args = [...this.inputArgs(undefined), "-i", fileUrl(path)];
    args.push("-map", "0:a:0", "-af", "ebur128=framelog=verbose", "-f", "null", "-");
    const r = await this.run(this.deps.ffmpegPath, args);
    if (r.code !== 0) throw this.failure("loudness", r);
    return parseEbur128Integrated(r.stderr);
  }

  private inputArgs(formatName: string | undefined): string[] {
    const args = ["-nostdin", "-hide_banner", "-nostats", "-loglevel", "level+info", "-protocol_whitelist", "file"];
    const demuxer = formatName?.split(",")[0]?.trim();
    if (demuxer) args.push("-f", demuxer);
    return args;
  }

  private async run(bin: string, args: string[]): Promise<RunResult> {
    const started = this.clock.now();
    const r = await runProcess(bin, args, { timeoutMs: this.timeoutMs, clock: this.clock });
    this.deps.log?.debug({ bin, args, code: r.code, ms: this.clock.now() - started }, "ffmpeg run");
    if (r.timedOut) throw mediaError("ffmpeg_failed", {}, { reason: `timed out after ${this.timeoutMs} ms`, args });
    return r;
  }

  private failure(stage: string, r: RunResult): Error {
    const tail = r.stderr.trim().split("\n").slice(-5).join("\n");
    return mediaError("ffmpeg_failed", {}, { stage, exitCode: r.code, signal: r.signal, stderr: tail });
  }
}

/** Resolves the binaries (FFMPEG_PATH, packages, PATH) and builds the transcoder. */
export async function createFfmpegTranscoder(
  env: NodeJS.ProcessEnv = process.env,
  deps: Omit<FfmpegTranscoderDeps, "ffmpegPath" | "ffprobePath"> = {},
): Promise<FfmpegTranscoder> {
  const bins = await resolveFfmpeg(env);
  deps.log?.info({ ffmpeg: bins.ffmpegPath, ffprobe: bins.ffprobePath, source: bins.source }, "ffmpeg resolved");
  return new FfmpegTranscoder({ ...deps, ffmpegPath: bins.ffmpegPath, ffprobePath: bins.ffprobePath });
}
