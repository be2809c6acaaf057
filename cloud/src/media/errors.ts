/**
 * Media errors (ARCHITECTURE §6): every rejection of an upload or a TTS request carries a stable code, an
 * English message for logs and API clients, and a Vietnamese one because commune staff read Vietnamese.
 */
import { LoaError } from "@loa/shared";

export const MEDIA_ERROR_CODES = [
  "not_audio",
  "corrupt",
  "silent",
  "too_long",
  "too_big",
  "tts_unavailable",
  "text_too_long",
  "text_empty",
  "ffmpeg_failed",
] as const;
export type MediaErrorCode = (typeof MEDIA_ERROR_CODES)[number];

const HTTP_STATUS: Record<MediaErrorCode, number> = {
  not_audio: 415,
  corrupt: 422,
  silent: 422,
  too_long: 422,
  too_big: 413,
  tts_unavailable: 503,
  text_too_long: 400,
  text_empty: 400,
  ffmpeg_failed: 500,
};

/** HTTP status the REST layer answers with for a media error code (problem+json, ARCHITECTURE §7). */
export function httpStatusOf(code: string): number {
  return isMediaErrorCode(code) ? HTTP_STATUS[code] : 500;
}

export function isMediaErrorCode(code: string): code is MediaErrorCode {
  return (MEDIA_ERROR_CODES as readonly string[]).includes(code);
}

export class MediaError extends LoaError {
  declare readonly code: MediaErrorCode;
  /** The same message in Vietnamese, shown to staff in the panel. */
  readonly messageVi: string;

  constructor(
    code: MediaErrorCode,
    message: string,
    messageVi: string,
    details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(code, message, details, options);
    this.messageVi = messageVi;
  }
}

export function isMediaError(err: unknown): err is MediaError {
  return err instanceof MediaError;
}

/** Facts that make a message precise; each code uses the ones it needs. */
export interface MediaErrorFacts {
  maxBytes?: number;
  maxDurationS?: number;
  maxChars?: number;
  detail?: string;
}

type Texts = (f: MediaErrorFacts) => [en: string, vi: string];

const mb = (n = 0): string => (n / (1024 * 1024)).toFixed(n % (1024 * 1024) === 0 ? 0 : 1);
const minutes = (s = 0): string => (s >= 120 ? `${Math.round(s / 60)} min` : `${s} s`);
const phut = (s = 0): string => (s >= 120 ? `${Math.round(s / 60)} phút` : `${s} giây`);

const TEXTS: Record<MediaErrorCode, Texts> = {
  not_audio: () => [
    "The file is not a supported audio file.",
    "Tệp tải lên không phải là tệp âm thanh được hỗ trợ.",
  ],
  corrupt: () => [
    "The audio file is damaged or incomplete and cannot be decoded.",
    "Tệp âm thanh bị hỏng hoặc không đầy đủ, không thể giải mã.",
  ],
  silent: () => ["The audio is silent: no sound was detected.", "Tệp âm thanh không có tiếng (chỉ có im lặng)."],
  too_long: (f) => [
    `The audio is longer than the limit of ${minutes(f.maxDurationS)}.`,
    `Âm thanh dài quá giới hạn ${phut(f.maxDurationS)}.`,
  ],
  too_big: (f) => [
    `The file is larger than the limit of ${mb(f.maxBytes)} MB.`,
    `Tệp lớn hơn giới hạn ${mb(f.maxBytes)} MB.`,
  ],
  tts_unavailable: (f) => [
    `Text-to-speech is not available on this server${f.detail ? ` (${f.detail})` : ""}.`,
    `Máy chủ chưa sẵn sàng chức năng chuyển văn bản thành giọng nói${f.detail ? ` (${f.detail})` : ""}.`,
  ],
  text_too_long: (f) => [
    `The text is longer than the limit of ${f.maxChars ?? 0} characters.`,
    `Văn bản dài quá giới hạn ${f.maxChars ?? 0} ký tự.`,
  ],
  text_empty: () => ["The text is empty.", "Văn bản trống, chưa có nội dung để đọc."],
  ffmpeg_failed: () => ["Audio processing failed on the server.", "Lỗi xử lý âm thanh trên máy chủ."],
};

/** Builds a MediaError with both messages filled in from the code and the facts. */
export function mediaError(
  code: MediaErrorCode,
  facts: MediaErrorFacts = {},
  details?: Record<string, unknown>,
  cause?: unknown,
): MediaError {
  const [en, vi] = TEXTS[code](facts);
  return new MediaError(code, en, vi, { ...facts, ...details }, cause === undefined ? undefined : { cause });
}
