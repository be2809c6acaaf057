/**
 * `crc_noise`: what a noisy RS-485 pair does to a reply (ARCHITECTURE §5: the driver retries CRC-failed
 * requests). `random` is injected so tests are deterministic.
 */
import type { NoiseSettings } from "./faults.js";
import type { TraceNote } from "./trace.js";

export interface NoisyBytes {
  bytes: Buffer;
  note?: TraceNote;
}

export function applyNoise(reply: Buffer, noise: NoiseSettings, random: () => number): NoisyBytes {
  if (noise.rate <= 0 || random() >= noise.rate) return { bytes: reply };
  if (noise.mode === "garbage") {
    const garbage = Buffer.alloc(1 + Math.floor(random() * 4));
    for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(random() * 256);
    return { bytes: Buffer.concat([garbage, reply]), note: "garbage" };
  }
  // One flipped bit: CRC-16 detects every single-bit error, so the master always sees a CRC failure.
  const out = Buffer.from(reply);
  const at = Math.min(out.length - 1, Math.floor(random() * out.length));
  out[at] = (out[at] ?? 0) ^ (1 << Math.min(7, Math.floor(random() * 8)));
  return { bytes: out, note: "corrupted" };
}
