/**
 * Decoder adapter: ffmpeg decodes any media file to PCM s16le mono 48 kHz on stdout (ARCHITECTURE §6).
 * Tones are generated in JS (tone.ts). ffmpeg is not told to run in real time: the sink paces, and pipe
 * back-pressure keeps ffmpeg only a buffer ahead, so pre-roll costs a few hundred KB at most.
 */
import { spawn } from "node:child_process";
import { PassThrough } from "node:stream";
import type { Logger } from "pino";
import { errorMessage } from "@loa/shared";
import { DecodeError, PCM_CHANNELS, PCM_SAMPLE_RATE, type DecodeJob, type DecodeSource, type Decoder } from "../../ports/audio.js";
import { resolveFfmpegPath } from "./ffmpeg-path.js";
import { toneStream } from "./tone.js";

export interface FfmpegDecoderDeps {
  /** Defaults to resolveFfmpegPath() (FFMPEG_PATH, @ffmpeg-installer/ffmpeg, system ffmpeg). */
  ffmpegPath?: string;
  log?: Logger;
}

const STDERR_KEEP = 2_000;

export function ffmpegDecodeArgs(path: string): string[] {
  return [
    "-hide_banner", "-nostdin", "-loglevel", "error",
    "-i", path,
    "-vn", "-f", "s16le", "-acodec", "pcm_s16le", "-ac", String(PCM_CHANNELS), "-ar", String(PCM_SAMPLE_RATE),
    "-",
  ];
}

export class FfmpegDecoder implements Decoder {
  readonly ffmpegPath: string;
  private readonly log: Logger | undefined;

  constructor(deps: FfmpegDecoderDeps = {}) {
    this.ffmpegPath = deps.ffmpegPath ?? resolveFfmpegPath();
    this.log = deps.log;
  }

  decode(source: DecodeSource): DecodeJob {
    if (source.kind === "tone") return toneJob(source);
    return this.spawnFfmpeg(source.path);
  }

  private spawnFfmpeg(path: string): DecodeJob {
    const child = spawn(this.ffmpegPath, ffmpegDecodeArgs(path), { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let killed = false;
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (s: string) => {
      stderr = (stderr + s).slice(-STDERR_KEEP);
    });
    // Hand out a PassThrough, not child.stdout: Node resumes (drains into nothing) a child's stdout that no
    // one has read when the child exits, which would throw away pre-rolled PCM of a short file.
    const pcm = new PassThrough();
    child.stdout.on("error", () => undefined); // errors surface through `done`
    child.stdout.pipe(pcm);
    const done = new Promise<void>((resolve, reject) => {
      child.once("error", (err) => {
        reject(new DecodeError("decoder_unavailable", `cannot run ffmpeg (${this.ffmpegPath}): ${errorMessage(err)}`, { path }));
      });
      child.once("close", (code, signal) => {
        if (killed || code === 0) return resolve();
        const why = stderr.trim().split("\n").slice(-3).join(" | ") || `exit ${code ?? signal ?? "?"}`;
        reject(new DecodeError("decode_failed", `ffmpeg could not decode ${path}: ${why}`, { path, code, signal }));
      });
    });
    done.catch((err: unknown) => this.log?.warn({ err: errorMessage(err), path }, "decode failed"));
    return {
      pcm,
      done,
      kill: () => {
        if (killed) return;
        killed = true;
        // Drain stdout: while the unread PassThrough holds it paused, the child's "close" (and so `done`)
        // would never come, even after the process is gone.
        child.stdout.unpipe(pcm);
        child.stdout.resume();
        pcm.end();
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      },
    };
  }
}

/** A generated tone as a DecodeJob; kill() ends the stream early. */
export function toneJob(spec: { freqHz: number; durationMs: number; amplitude?: number }): DecodeJob {
  const out = new PassThrough();
  const src = toneStream(spec);
  src.pipe(out);
  return {
    pcm: out,
    done: Promise.resolve(),
    kill: () => {
      src.unpipe(out);
      src.destroy();
      out.end();
    },
  };
}
