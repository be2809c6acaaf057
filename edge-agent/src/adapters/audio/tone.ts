/**
 * Test tone generated in JS (cmd test_tone, ARCHITECTURE §3): no file and no ffmpeg needed, so the tone also
 * works on a receiver whose decoder is broken, which is exactly when an operator reaches for it.
 */
import { Readable } from "node:stream";
import { PCM_SAMPLE_RATE, pcmBytes } from "../../ports/audio.js";

export interface ToneSpec {
  freqHz: number;
  durationMs: number;
  /** 0..1 of full scale; default 0.5. */
  amplitude?: number;
}

const FADE_MS = 5; // short fade in/out so the tone starts and ends without a click
const CHUNK_SAMPLES = 4_800; // 100 ms per pushed chunk

function sampleAt(i: number, total: number, spec: ToneSpec): number {
  const fade = Math.max(1, Math.floor((FADE_MS * PCM_SAMPLE_RATE) / 1000));
  const gain = Math.min(1, i / fade, (total - 1 - i) / fade);
  const amp = Math.min(1, Math.max(0, spec.amplitude ?? 0.5)) * 32_767;
  return Math.round(Math.sin((2 * Math.PI * spec.freqHz * i) / PCM_SAMPLE_RATE) * amp * Math.max(0, gain));
}

function fill(buf: Buffer, from: number, total: number, spec: ToneSpec): void {
  for (let k = 0; k < buf.length / 2; k++) buf.writeInt16LE(sampleAt(from + k, total, spec), k * 2);
}

/** The whole tone as one PCM buffer (s16le mono 48 kHz). */
export function generateTone(spec: ToneSpec): Buffer {
  const buf = Buffer.alloc(pcmBytes(spec.durationMs));
  fill(buf, 0, buf.length / 2, spec);
  return buf;
}

/** The tone as a stream, generated 100 ms at a time so a long tone costs no memory. */
export function toneStream(spec: ToneSpec): Readable {
  const total = pcmBytes(spec.durationMs) / 2;
  let next = 0;
  return new Readable({
    read() {
      if (next >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(CHUNK_SAMPLES, total - next);
      const buf = Buffer.alloc(n * 2);
      fill(buf, next, total, spec);
      next += n;
      this.push(buf);
    },
  });
}
