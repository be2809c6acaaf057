/**
 * The media pipeline (ARCHITECTURE §6): an upload or a TTS text becomes a mono, loudness-normalised Opus
 * (or MP3) file stored once under its sha256. Every rejection is a MediaError; on any failure nothing is
 * stored and every temp file is gone.
 */
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { Logger } from "pino";
import { SystemClock, type Clock, type Codec } from "@loa/shared";
import { publishContent, sha256File, stagingPath } from "./content-store.js";
import { isMediaError, mediaError } from "./errors.js";
import { extOf, mimeTypeOf, resolveMediaOptions, SAMPLE_RATE, type MediaOptions } from "./options.js";
import type { AudioTranscoder, LoudnessTarget, Normalization, TtsEngine } from "./ports.js";
import { checkBytes, checkDecode, checkProbe, chooseNormalization, type AudioProbe } from "./rules.js";
import { Slots } from "./slots.js";
import { spoolToFile } from "./spool.js";

export interface MediaPipelineDeps {
  transcoder: AudioTranscoder;
  /** Where `<sha256>.<ext>` files live (e.g. `$LOA_DATA_DIR/media`); created when missing. */
  mediaDir: string;
  /** Parent of per-job temp dirs (spooled uploads, TTS output); default the system temp dir. */
  tmpDir?: string;
  /** Absent: TTS requests fail with `tts_unavailable`. */
  tts?: TtsEngine;
  clock?: Clock;
  log?: Logger;
  options?: Partial<MediaOptions>;
}

export interface IngestOptions {
  codec?: Codec;
}

export interface TtsRequest extends IngestOptions {
  voice?: string;
}

/** Milliseconds per stage, for metrics. */
export interface MediaTimings {
  /** Waiting for an ffmpeg slot (see `concurrency`). */
  queueMs: number;
  probeMs: number;
  measureMs: number;
  encodeMs: number;
  totalMs: number;
}

export interface MediaInputInfo {
  format: string;
  codec: string;
  channels: number;
  sampleRate: number;
  bytes: number;
  durationMs: number;
}

export interface MediaResult {
  sha256: string;
  bytes: number;
  durationMs: number;
  codec: Codec;
  ext: "opus" | "mp3";
  mimeType: string;
  /** Integrated loudness of the stored file, LUFS; null when too short to measure. */
  loudnessLufs: number | null;
  /** Integrated loudness of the input as measured before normalising; null when not measurable. */
  inputLufs: number | null;
  /** Absolute path of the stored file. */
  path: string;
  /** `<sha256>.<ext>`, the name under the media dir. */
  file: string;
  /** The same content was already stored; nothing was written. */
  duplicate: boolean;
  normalization: Normalization["method"];
  /** loudnorm's own mode in pass 2: "dynamic" when a plain gain would have broken the true-peak ceiling. */
  loudnormMode?: "linear" | "dynamic";
  /** Why the usual two-pass loudnorm was not used, when it was not. */
  normalizationNote?: string;
  input: MediaInputInfo;
  timings: MediaTimings;
}

interface Measured {
  probe: AudioProbe;
  inputBytes: number;
  inputLufs: number | null;
  decodedDurationS: number;
  normalization: Normalization;
  note: string | undefined;
  probeMs: number;
}

export class MediaPipeline {
  readonly options: MediaOptions;
  private readonly transcoder: AudioTranscoder;
  private readonly mediaDir: string;
  private readonly tmpDir: string;
  private readonly tts: TtsEngine | undefined;
  private readonly clock: Clock;
  private readonly log: Logger | undefined;
  private readonly slots: Slots;

  constructor(deps: MediaPipelineDeps) {
    this.options = resolveMediaOptions(deps.options);
    this.transcoder = deps.transcoder;
    this.mediaDir = deps.mediaDir;
    this.tmpDir = deps.tmpDir ?? tmpdir();
    this.tts = deps.tts;
    this.clock = deps.clock ?? new SystemClock();
    this.log = deps.log;
    this.slots = new Slots(this.options.concurrency);
  }

  /** Ingests running and waiting, for a gauge. */
  get load(): { running: number; queued: number } {
    return this.slots.load;
  }

  /** Throws `too_big` past the byte limit; the HTTP layer may call it with a Content-Length. */
  checkBytes(bytes: number): void {
    checkBytes(bytes, this.options);
  }

  /** Ingests a file already on disk; the caller keeps ownership of `input` (it is never modified). */
  async ingestFile(input: string, opts: IngestOptions = {}): Promise<MediaResult> {
    const queued = this.clock.now();
    const result = await this.slots.run(async () => {
      const t0 = this.clock.now();
      const m = await this.measure(input);
      const t1 = this.clock.now();
      const stored = await this.encodeAndStore(input, m, opts.codec ?? this.options.codec);
      const t2 = this.clock.now();
      const timings: MediaTimings = {
        queueMs: t0 - queued,
        probeMs: m.probeMs,
        measureMs: t1 - t0 - m.probeMs,
        encodeMs: t2 - t1,
        totalMs: t2 - queued,
      };
      return { ...stored, timings };
    });
    const timings = result.timings;
    this.log?.info(
      { sha256: result.sha256, durationMs: result.durationMs, duplicate: result.duplicate, timings },
      "media ingested",
    );
    return result;
  }

  /** Spools a stream (an upload body) to a temp file under the byte limit, then ingests it. */
  async ingestStream(source: Readable, opts: IngestOptions = {}): Promise<MediaResult> {
    return this.withJobDir(async (dir) => {
      const file = join(dir, "upload");
      await spoolToFile(source, file, this.options.maxBytes);
      return this.ingestFile(file, opts);
    });
  }

  async ttsAvailable(): Promise<boolean> {
    return this.tts !== undefined && (await this.tts.available());
  }

  /**
   * Checks a TTS text: NFC-normalised (phones may send Vietnamese decomposed, a letter plus combining
   * marks), trimmed, not empty, at most `maxTextChars` characters (code points).
   */
  checkText(text: string): string {
    const trimmed = text.normalize("NFC").trim();
    if (trimmed.length === 0) throw mediaError("text_empty");
    const chars = [...trimmed].length;
    const maxChars = this.options.maxTextChars;
    if (chars > maxChars) throw mediaError("text_too_long", { maxChars }, { chars });
    return trimmed;
  }

  /** Speaks `text` with the TTS engine, then runs the speech through the same pipeline as an upload. */
  async synthesizeBulletin(text: string, req: TtsRequest = {}): Promise<MediaResult> {
    const clean = this.checkText(text);
    const tts = this.tts;
    if (!tts || !(await tts.available())) {
      throw mediaError("tts_unavailable", { detail: `engine ${tts?.id ?? "none"} is not installed` });
    }
    const voice = req.voice ?? this.options.ttsVoice;
    return this.withJobDir(async (dir) => {
      const wav = await synthesizeWith(tts, clean, voice, dir);
      return this.ingestFile(wav, req.codec ? { codec: req.codec } : {});
    });
  }

  private target(): LoudnessTarget {
    return { i: this.options.targetLufs, tp: this.options.truePeakDb, lra: this.options.lra };
  }

  /** Size, probe and a full decode: everything that can reject the input, before anything is written. */
  private async measure(input: string): Promise<Measured> {
    const t0 = this.clock.now();
    const inputBytes = (await stat(input)).size;
    checkBytes(inputBytes, this.options);
    const probe = checkProbe(await this.guard(() => this.transcoder.probe(input)), this.options);
    const probeMs = this.clock.now() - t0;
    const analysis = await this.guard(() =>
      this.transcoder.analyze({
        input,
        formatName: probe.formatName,
        target: this.target(),
        capS: this.options.maxDurationS + 1,
      }),
    );
    checkDecode(probe, analysis, this.options);
    const { normalization, note } = chooseNormalization(analysis, this.options);
    const i = analysis.loudness?.inputI;
    const inputLufs = i !== undefined && Number.isFinite(i) ? round2(i) : null;
    return { probe, inputBytes, inputLufs, decodedDurationS: analysis.decodedDurationS, normalization, note, probeMs };
  }

  private async encodeAndStore(input: string, m: Measured, codec: Codec): Promise<Omit<MediaResult, "timings">> {
    const ext = extOf(codec);
    await mkdir(this.mediaDir, { recursive: true });
    const staging = stagingPath(this.mediaDir, ext);
    try {
      const report = await this.guard(() =>
        this.transcoder.encode({
          input,
          formatName: m.probe.formatName,
          output: staging,
          codec,
          bitrateKbps: codec === "opus" ? this.options.opusBitrateKbps : this.options.mp3BitrateKbps,
          sampleRate: SAMPLE_RATE,
          target: this.target(),
          normalization: m.normalization,
        }),
      );
      const out = await this.inspectOutput(staging);
      const content = await sha256File(staging);
      const published = await publishContent(staging, this.mediaDir, { ...content, ext });
      return {
        ...content,
        durationMs: out.durationMs,
        codec,
        ext,
        mimeType: mimeTypeOf(codec),
        loudnessLufs: out.loudnessLufs,
        inputLufs: m.inputLufs,
        path: published.path,
        file: `${content.sha256}.${ext}`,
        duplicate: published.duplicate,
        normalization: m.normalization.method,
        ...(report.loudnormMode ? { loudnormMode: report.loudnormMode } : {}),
        ...(m.note ? { normalizationNote: m.note } : {}),
        input: inputInfo(m),
      };
    } finally {
      await rm(staging, { force: true });
    }
  }

  /** Our own output must probe as audio; if not, ffmpeg misbehaved, which is a server fault. */
  private async inspectOutput(path: string): Promise<{ durationMs: number; loudnessLufs: number | null }> {
    const probe = await this.guard(() => this.transcoder.probe(path));
    if (probe.kind !== "ok" || probe.info.durationS === null || !probe.info.audio) {
      throw mediaError("ffmpeg_failed", {}, { reason: "encoded output does not probe as audio" });
    }
    const lufs = await this.guard(() => this.transcoder.loudness(path));
    return {
      durationMs: Math.round(probe.info.durationS * 1000),
      loudnessLufs: lufs === null ? null : round2(lufs),
    };
  }

  /** Anything a tool throws that is not already a MediaError is a server-side ffmpeg failure. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isMediaError(err)) throw err;
      throw mediaError("ffmpeg_failed", {}, { reason: err instanceof Error ? err.message : String(err) }, err);
    }
  }

  private async withJobDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(this.tmpDir, "loa-media-"));
    try {
      return await fn(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

async function synthesizeWith(tts: TtsEngine, text: string, voice: string, dir: string): Promise<string> {
  try {
    return await tts.synthesize(text, { voice, dir });
  } catch (err) {
    if (isMediaError(err)) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw mediaError("tts_unavailable", { detail: `${tts.id} failed` }, { reason }, err);
  }
}

function inputInfo(m: Measured): MediaInputInfo {
  return {
    format: m.probe.formatName,
    codec: m.probe.audio.codec,
    channels: m.probe.audio.channels,
    sampleRate: m.probe.audio.sampleRate,
    bytes: m.inputBytes,
    durationMs: Math.round(m.decodedDurationS * 1000),
  };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
