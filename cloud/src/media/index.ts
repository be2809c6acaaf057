/**
 * The cloud's audio pipeline (ARCHITECTURE §6). Core and ports live here; the ffmpeg and TTS adapters are
 * re-exported so the wiring needs one import.
 */
export {
  MediaPipeline,
  type IngestOptions,
  type MediaInputInfo,
  type MediaPipelineDeps,
  type MediaResult,
  type MediaTimings,
  type TtsRequest,
} from "./pipeline.js";
export {
  MEDIA_ERROR_CODES,
  MediaError,
  httpStatusOf,
  isMediaError,
  isMediaErrorCode,
  mediaError,
  type MediaErrorCode,
  type MediaErrorFacts,
} from "./errors.js";
export { DEFAULT_MEDIA_OPTIONS, SAMPLE_RATE, extOf, mimeTypeOf, resolveMediaOptions, type MediaOptions } from "./options.js";
export { ByteLimit, spoolToFile } from "./spool.js";
export { STAGING_PREFIX, mediaFileName, sha256File, sweepStaging } from "./content-store.js";
export { checkBytes, checkDecode, checkProbe, chooseNormalization, formatAllowed, isSilent } from "./rules.js";
export type * from "./ports.js";
export {
  FfmpegTranscoder,
  createFfmpegTranscoder,
  generateTone,
  resolveFfmpeg,
  type FfmpegBinaries,
  type FfmpegSource,
  type FfmpegTranscoderDeps,
  type ToneOptions,
} from "../adapters/ffmpeg/index.js";
export { EspeakNgTts, NoTts, detectTts, type EspeakNgDeps } from "../adapters/tts/index.js";
