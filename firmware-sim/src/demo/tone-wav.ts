/**
 * A short WAV the demo uploads as a bulletin when the cloud has no text-to-speech engine: a three-note
 * chime (as village loudspeakers open an announcement) followed by a steady tone. 16 kHz mono, 16-bit.
 */
const RATE = 16_000;

export interface ToneWavSpec {
  seconds: number;
  freqHz: number;
}

export function toneWav(spec: ToneWavSpec): Buffer {
  const samples = Math.round(spec.seconds * RATE);
  const data = Buffer.alloc(samples * 2);
  const chime = [spec.freqHz * 1.5, spec.freqHz * 1.25, spec.freqHz];
  for (let i = 0; i < samples; i++) {
    const t = i / RATE;
    const note = Math.floor(t / 0.4);
    const freq = note < chime.length ? (chime[note] ?? spec.freqHz) : spec.freqHz;
    // 10 ms fades at each note edge, so nothing clicks.
    const inNote = note < chime.length ? t - note * 0.4 : t - chime.length * 0.4;
    const edge = Math.min(1, inNote / 0.01, (spec.seconds - t) / 0.01);
    const v = Math.sin(2 * Math.PI * freq * t) * 0.5 * Math.max(0, edge);
    data.writeInt16LE(Math.round(v * 32767), i * 2);
  }
  return Buffer.concat([header(data.length), data]);
}

function header(dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write("RIFF", 0, "ascii");
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write("WAVE", 8, "ascii");
  h.write("fmt ", 12, "ascii");
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(RATE, 24);
  h.writeUInt32LE(RATE * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write("data", 36, "ascii");
  h.writeUInt32LE(dataBytes, 40);
  return h;
}
