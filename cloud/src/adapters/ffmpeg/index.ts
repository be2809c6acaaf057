export { FfmpegTranscoder, createFfmpegTranscoder, normalizeChain, type FfmpegTranscoderDeps } from "./ffmpeg-transcoder.js";
export { resolveFfmpeg, type FfmpegBinaries, type FfmpegSource, type ResolveDeps } from "./resolve.js";
export { generateTone, type ToneOptions } from "./tone.js";
export { runProcess, type RunOptions, type RunResult } from "./run.js";
