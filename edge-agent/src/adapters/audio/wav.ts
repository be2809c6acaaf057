/** Minimal RIFF/WAVE (PCM) header writing and reading, for the file sink and the tests that check its output. */
import { PCM_BYTES_PER_SAMPLE, PCM_CHANNELS, PCM_SAMPLE_RATE } from "../../ports/audio.js";

export const WAV_HEADER_BYTES = 44;

export function wavHeader(dataBytes: number, sampleRate = PCM_SAMPLE_RATE, channels = PCM_CHANNELS, bytesPerSample = PCM_BYTES_PER_SAMPLE): Buffer {
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  h.write("RIFF", 0, "ascii");
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write("WAVE", 8, "ascii");
  h.write("fmt ", 12, "ascii");
  h.writeUInt32LE(16, 16); // PCM fmt chunk size
  h.writeUInt16LE(1, 20); // format: PCM
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * bytesPerSample, 28);
  h.writeUInt16LE(channels * bytesPerSample, 32);
  h.writeUInt16LE(bytesPerSample * 8, 34);
  h.write("data", 36, "ascii");
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** The two size fields of a 44-byte header, patched once the data length is known. */
export function wavSizeFields(dataBytes: number): { riff: Buffer; data: Buffer } {
  const riff = Buffer.alloc(4);
  riff.writeUInt32LE(36 + dataBytes, 0);
  const data = Buffer.alloc(4);
  data.writeUInt32LE(dataBytes, 0);
  return { riff, data };
}

export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Byte length the header declares for the data chunk. */
  dataBytes: number;
  dataOffset: number;
  durationMs: number;
}

/** Reads a PCM WAV's header, walking chunks; throws on anything that is not RIFF/WAVE PCM. */
export function parseWav(buf: Buffer): WavInfo {
  if (buf.length < 12 || buf.toString("ascii", 0, 4) !== "RIFF" || buf.toString("ascii", 8, 12) !== "WAVE") {
    throw new Error("not a RIFF/WAVE file");
  }
  let off = 12;
  let fmt: Omit<WavInfo, "dataBytes" | "dataOffset" | "durationMs"> | undefined;
  while (off + 8 <= buf.length) {
    const id = buf.toString("ascii", off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === "fmt ") {
      if (buf.readUInt16LE(off + 8) !== 1) throw new Error("WAV is not PCM");
      fmt = { channels: buf.readUInt16LE(off + 10), sampleRate: buf.readUInt32LE(off + 12), bitsPerSample: buf.readUInt16LE(off + 22) };
    } else if (id === "data") {
      if (!fmt) throw new Error("WAV data chunk before fmt chunk");
      const bytesPerMs = (fmt.sampleRate * fmt.channels * fmt.bitsPerSample) / 8 / 1000;
      return { ...fmt, dataBytes: size, dataOffset: off + 8, durationMs: size / bytesPerMs };
    }
    off += 8 + size + (size % 2);
  }
  throw new Error("WAV has no data chunk");
}
