/**
 * Ports of the media pipeline (ARCHITECTURE §6): the transcoder (ffmpeg behind it) and the TTS engine.
 * The core decides what a measurement means (silent, corrupt, too long); adapters only run tools and
 * report what they saw.
 */
import type { Codec } from "@loa/shared";

export interface ProbedAudio {
  codec: string;
  channels: number;
  sampleRate: number;
}

export interface ProbeInfo {
  /** Demuxer names as ffprobe reports them, e.g. "mov,mp4,m4a,3gp,3g2,mj2". */
  formatName: string;
  /** Container duration; null when the container does not say (e.g. a browser's webm recording). */
  durationS: number | null;
  /** First audio stream, null when the file has none (an image, a video without sound). */
  audio: ProbedAudio | null;
}

export type ProbeOutcome = { kind: "ok"; info: ProbeInfo } | { kind: "unrecognised"; detail: string };

/** EBU R128 figures from loudnorm's measuring pass; -Infinity where the meter saw nothing above its gate. */
export interface LoudnessMeasurement {
  inputI: number;
  inputTp: number;
  inputLra: number;
  inputThresh: number;
  targetOffset: number;
}

export interface LoudnessTarget {
  /** Integrated loudness, LUFS. */
  i: number;
  /** True peak, dBTP. */
  tp: number;
  /** Loudness range, LU. */
  lra: number;
}

/** What decoding the whole input once revealed. */
export interface DecodeAnalysis {
  /** Exit code of the decoder; non-zero means it gave up. */
  exitCode: number;
  /** Seconds of audio actually decoded (capped by the analysis limit). */
  decodedDurationS: number;
  maxVolumeDb: number;
  meanVolumeDb: number;
  /** Null when the measurement could not be read (the tool printed none). */
  loudness: LoudnessMeasurement | null;
  /** Decoder and demuxer complaints (errors, corrupt packets): any of them means the file is damaged. */
  problems: string[];
  /** The container duration was only a guess from the bitrate, so it cannot reveal truncation. */
  durationEstimated: boolean;
}

export interface AnalyzeRequest {
  input: string;
  /** Demuxer chosen at probe time; the adapter forces it so later passes read the file the same way. */
  formatName: string;
  target: LoudnessTarget;
  /** Stop decoding after this many seconds (a file lying about its length is not decoded for hours). */
  capS: number;
}

export type Normalization =
  | { method: "two-pass"; measured: LoudnessMeasurement }
  | { method: "one-pass" }
  | { method: "gain"; gainDb: number };

export interface EncodeRequest {
  input: string;
  formatName: string;
  output: string;
  codec: Codec;
  bitrateKbps: number;
  sampleRate: number;
  target: LoudnessTarget;
  normalization: Normalization;
}

export interface EncodeReport {
  /** loudnorm's own verdict on pass 2 ("linear" when a plain gain sufficed); absent when not run. */
  loudnormMode?: "linear" | "dynamic";
}

export interface AudioTranscoder {
  probe(path: string): Promise<ProbeOutcome>;
  analyze(req: AnalyzeRequest): Promise<DecodeAnalysis>;
  encode(req: EncodeRequest): Promise<EncodeReport>;
  /** Integrated loudness of a finished file, LUFS; null when too short or silent to measure. */
  loudness(path: string): Promise<number | null>;
}

export interface TtsOptions {
  voice?: string;
  /** Directory to write the WAV in (the caller owns and removes it); default the system temp dir. */
  dir?: string;
}

/** Text-to-speech engine (ARCHITECTURE §6): pluggable, espeak-ng where installed. */
export interface TtsEngine {
  readonly id: string;
  available(): Promise<boolean>;
  /** Writes the speech as a WAV file and returns its path; the caller deletes it. */
  synthesize(text: string, opts?: TtsOptions): Promise<string>;
}
