/** Audio adapters (ARCHITECTURE §6); wiring.ts picks the sink the edge config names (sinkFromConfig). */
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
