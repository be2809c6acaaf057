/**
 * Audio ports of the receiver (ARCHITECTURE §6): a Decoder turns a media file (or a generated test tone) into
 * PCM, an AudioSink consumes that PCM in real time. The PCM format is fixed so every adapter agrees on it.
 */
import type { Readable } from "node:stream";
import { LoaError } from "@loa/shared";

/** PCM between decoder and sink: signed 16-bit little-endian, mono, 48 kHz. */
export const PCM_SAMPLE_RATE = 48_000;
export const PCM_CHANNELS = 1;
export const PCM_BYTES_PER_SAMPLE = 2;

/** Milliseconds of audio in `bytes` of PCM (whole samples only). */
export function pcmMs(bytes: number): number {
  const samples = Math.floor(bytes / (PCM_BYTES_PER_SAMPLE * PCM_CHANNELS));
  return (samples * 1000) / PCM_SAMPLE_RATE;
}

/** Bytes of PCM for `ms` milliseconds, rounded down to a whole sample. */
export function pcmBytes(ms: number): number {
  const samples = Math.floor((Math.max(0, ms) * PCM_SAMPLE_RATE) / 1000);
  return samples * PCM_BYTES_PER_SAMPLE * PCM_CHANNELS;
}

export type DecodeSource =
  | { kind: "file"; path: string }
  /** A sine test tone (cmd test_tone); `amplitude` 0..1 of full scale, default 0.5. */
  | { kind: "tone"; freqHz: number; durationMs: number; amplitude?: number };

export interface DecodeJob {
  /** PCM s16le mono 48 kHz. Ends when the source is fully decoded or the job is killed. */
  readonly pcm: Readable;
  /** Resolves when decoding ended cleanly or was killed; rejects with a DecodeError otherwise. */
  readonly done: Promise<void>;
  /** Stop decoding now (idempotent); `done` then resolves. */
  kill(): void;
}

export interface Decoder {
  decode(source: DecodeSource): DecodeJob;
}

export interface SinkPlayOptions {
  playId: string;
  /**
   * Expected length from the plan (media.durationMs). Sinks that really consume PCM ignore it and count
   * samples; the timing sink (fleet simulator, no decoding) paces for exactly this long.
   */
  durationMs?: number;
}

export interface SinkPlayResult {
  /** Milliseconds of audio really played, measured by samples consumed (or elapsed time if stopped first). */
  playedMs: number;
}

export interface PlayHandle {
  /**
   * Epoch ms (of the sink's clock) at which the first sample was handed to the output; if the input was empty
   * or the play was stopped before any sample, the time it ended. Rejects only if the output failed to open.
   */
  readonly started: Promise<number>;
  /** Resolves when the input is played out in real time or stop() was called; rejects with a SinkError. */
  readonly done: Promise<SinkPlayResult>;
  /** Cut the play now (idempotent). `done` resolves with what was played so far. */
  stop(): void;
}

export interface AudioSink {
  /** Start consuming `pcm` at once, never faster than real time. One play at a time per receiver. */
  play(pcm: Readable, opts: SinkPlayOptions): PlayHandle;
  /**
   * Optional: open the output ahead of time (pre-roll: spawn aplay, create the file) so that play() with the
   * same playId writes its first sample at once. cancel() releases it if that play never comes.
   */
  prepare?(opts: SinkPlayOptions): { cancel(): void };
}

/** What a capturing sink remembers of one play (file, timing and test sinks). */
export interface SinkRecord {
  playId: string;
  startedAt: number;
  playedMs: number;
  stopped: boolean;
}

/** `decode_failed` (ffmpeg exited with an error), `decoder_unavailable` (no ffmpeg binary). */
export class DecodeError extends LoaError {}

/** `sink_failed`: the output (aplay, file) could not be opened or died. */
export class SinkError extends LoaError {}
