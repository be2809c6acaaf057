/** Audio adapters (ARCHITECTURE §6) and a factory for main.ts: pick the sink named in the edge config. */
import type { Clock } from "@loa/shared";
import type { AudioSink } from "../../ports/audio.js";
import { AplaySink } from "./aplay-sink.js";
import { NullSink } from "./null-sink.js";
import { TimingSink } from "./timing-sink.js";
import { WavFileSink } from "./wav-file-sink.js";

export { AplaySink, aplayArgs, type AplaySinkDeps } from "./aplay-sink.js";
export { FfmpegDecoder, ffmpegDecodeArgs, toneJob, type FfmpegDecoderDeps } from "./ffmpeg-decoder.js";
export { resolveFfmpegPath } from "./ffmpeg-path.js";
export { NullSink } from "./null-sink.js";
export { PacedSink, type PacedSinkDeps, type PcmOutput } from "./paced-sink.js";
export { SilentDecoder } from "./silent-decoder.js";
export { TimingSink, type TimingSinkDeps } from "./timing-sink.js";
export { generateTone, toneStream, type ToneSpec } from "./tone.js";
export { parseWav, wavHeader, type WavInfo } from "./wav.js";
export { WavFileSink, wavFileNameOf, type WavFileSinkDeps } from "./wav-file-sink.js";

export type SinkConfig =
  | { kind: "alsa"; device?: string }
  | { kind: "file"; dir: string }
  | { kind: "null" }
  | { kind: "timing" };

export function createAudioSink(config: SinkConfig, clock: Clock): AudioSink {
  switch (config.kind) {
    case "alsa":
      return new AplaySink({ clock, ...(config.device ? { device: config.device } : {}) });
    case "file":
      return new WavFileSink({ clock, dir: config.dir });
    case "null":
      return new NullSink({ clock });
    case "timing":
      return new TimingSink({ clock });
  }
}
