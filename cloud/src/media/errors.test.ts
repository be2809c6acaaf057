import { describe, expect, it } from "vitest";
import { LoaError, isLoaError } from "@loa/shared";
import { MEDIA_ERROR_CODES, MediaError, httpStatusOf, isMediaError, mediaError } from "./errors.js";

describe("media errors", () => {
  it("maps each code to the HTTP status the REST layer answers with", () => {
    expect(httpStatusOf("not_audio")).toBe(415);
    expect(httpStatusOf("corrupt")).toBe(422);
    expect(httpStatusOf("silent")).toBe(422);
    expect(httpStatusOf("too_long")).toBe(422);
    expect(httpStatusOf("too_big")).toBe(413);
    expect(httpStatusOf("tts_unavailable")).toBe(503);
    expect(httpStatusOf("text_too_long")).toBe(400);
    expect(httpStatusOf("text_empty")).toBe(400);
    expect(httpStatusOf("ffmpeg_failed")).toBe(500);
    expect(httpStatusOf("something_else")).toBe(500);
  });

  it("gives every code an English and a Vietnamese message", () => {
    const seen = new Set<string>();
    for (const code of MEDIA_ERROR_CODES) {
      const err = mediaError(code, { maxBytes: 50 * 1024 * 1024, maxDurationS: 1800, maxChars: 5000 });
      expect(err).toBeInstanceOf(MediaError);
      expect(err).toBeInstanceOf(LoaError);
      expect(isLoaError(err) && isMediaError(err)).toBe(true);
      expect(err.code).toBe(code);
      expect(err.name).toBe("MediaError");
      expect(err.message).toMatch(/^[A-Z].*\.$/);
      expect(err.messageVi).toMatch(/^[A-ZĐÂ].*\.$/u);
      expect(err.messageVi).not.toBe(err.message);
      seen.add(err.messageVi);
    }
    expect(seen.size).toBe(MEDIA_ERROR_CODES.length);
  });

  it("puts the limit into the message and the facts into details", () => {
    const big = mediaError("too_big", { maxBytes: 50 * 1024 * 1024 }, { bytes: 60_000_000 });
    expect(big.message).toBe("The file is larger than the limit of 50 MB.");
    expect(big.messageVi).toBe("Tệp lớn hơn giới hạn 50 MB.");
    expect(big.details).toEqual({ maxBytes: 50 * 1024 * 1024, bytes: 60_000_000 });
    expect(mediaError("too_long", { maxDurationS: 1800 }).messageVi).toBe("Âm thanh dài quá giới hạn 30 phút.");
    expect(mediaError("too_long", { maxDurationS: 90 }).message).toBe("The audio is longer than the limit of 90 s.");
    const cause = new Error("boom");
    expect(mediaError("ffmpeg_failed", {}, {}, cause).cause).toBe(cause);
  });
});
