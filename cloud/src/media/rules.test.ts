import { describe, expect, it } from "vitest";
import { MediaError } from "./errors.js";
import { resolveMediaOptions } from "./options.js";
import type { DecodeAnalysis, ProbeInfo } from "./ports.js";
import { checkDecode, checkProbe, chooseNormalization, formatAllowed, isSilent } from "./rules.js";

const opts = resolveMediaOptions();
const audio = { codec: "mp3", channels: 2, sampleRate: 44_100 };
const probe = (over: Partial<ProbeInfo> = {}): ProbeInfo => ({ formatName: "mp3", durationS: 10, audio, ...over });
const speech = { inputI: -19, inputTp: 0, inputLra: 1, inputThresh: -29, targetOffset: 1.6 };
const decoded = (over: Partial<DecodeAnalysis> = {}): DecodeAnalysis => ({
  exitCode: 0,
  decodedDurationS: 10,
  maxVolumeDb: -0.5,
  meanVolumeDb: -20,
  loudness: speech,
  problems: [],
  durationEstimated: false,
  ...over,
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof MediaError ? err.code : "not a MediaError";
  }
}

describe("checkProbe", () => {
  it("accepts audio in an allowed container and rejects the rest as not_audio", () => {
    expect(checkProbe({ kind: "ok", info: probe() }, opts).audio).toEqual(audio);
    expect(checkProbe({ kind: "ok", info: probe({ formatName: "mov,mp4,m4a,3gp,3g2,mj2" }) }, opts).formatName).toContain("mp4");
    expect(codeOf(() => checkProbe({ kind: "unrecognised", detail: "Invalid data" }, opts))).toBe("not_audio");
    expect(codeOf(() => checkProbe({ kind: "ok", info: probe({ audio: null }) }, opts))).toBe("not_audio");
    // Playlists would make ffmpeg open whatever they name.
    expect(codeOf(() => checkProbe({ kind: "ok", info: probe({ formatName: "hls,applehttp" }) }, opts))).toBe("not_audio");
    expect(codeOf(() => checkProbe({ kind: "ok", info: probe({ formatName: "concat" }) }, opts))).toBe("not_audio");
  });

  it("rejects a container that says it is too long, and lets an unknown length through", () => {
    expect(codeOf(() => checkProbe({ kind: "ok", info: probe({ durationS: 1800.5 }) }, opts))).toBe("too_long");
    expect(codeOf(() => checkProbe({ kind: "ok", info: probe({ durationS: 1800 }) }, opts))).toBeUndefined();
    expect(codeOf(() => checkProbe({ kind: "ok", info: probe({ durationS: null }) }, opts))).toBeUndefined();
  });

  it("matches allowed formats by any name of ffprobe's list", () => {
    expect(formatAllowed("matroska,webm", ["webm"])).toBe(true);
    expect(formatAllowed("png_pipe", opts.allowedFormats)).toBe(false);
  });
});

describe("checkDecode", () => {
  it("passes clean speech", () => {
    expect(codeOf(() => checkDecode(probe(), decoded(), opts))).toBeUndefined();
  });

  it("calls decoder errors, a failed decoder and missing audio at the end corrupt", () => {
    expect(codeOf(() => checkDecode(probe(), decoded({ problems: ["[mp3float] [error] invalid new backstep -1"] }), opts))).toBe("corrupt");
    expect(codeOf(() => checkDecode(probe(), decoded({ exitCode: 1 }), opts))).toBe("corrupt");
    expect(codeOf(() => checkDecode(probe({ durationS: 10 }), decoded({ decodedDurationS: 5 }), opts))).toBe("corrupt");
    expect(codeOf(() => checkDecode(probe({ durationS: 10 }), decoded({ decodedDurationS: 9.6 }), opts))).toBeUndefined();
    // A length guessed from the bitrate proves nothing.
    expect(codeOf(() => checkDecode(probe(), decoded({ decodedDurationS: 5, durationEstimated: true }), opts))).toBeUndefined();
  });

  it("catches a file longer than the limit that the container did not announce", () => {
    expect(codeOf(() => checkDecode(probe({ durationS: null }), decoded({ decodedDurationS: 1801 }), opts))).toBe("too_long");
  });

  it("calls silence, near-silence and nothing decoded silent", () => {
    expect(codeOf(() => checkDecode(probe(), decoded({ maxVolumeDb: -91, loudness: { ...speech, inputI: -Infinity } }), opts))).toBe("silent");
    expect(isSilent(decoded({ maxVolumeDb: -55 }), opts)).toBe(true);
    expect(isSilent(decoded({ maxVolumeDb: -40, loudness: { ...speech, inputI: -62 } }), opts)).toBe(true);
    expect(isSilent(decoded({ maxVolumeDb: -Infinity, decodedDurationS: 0, loudness: null }), opts)).toBe(true);
    expect(isSilent(decoded({ maxVolumeDb: -30, loudness: { ...speech, inputI: -45 } }), opts)).toBe(false);
    // Too short to gate: loudness unmeasurable is not silence when the peak is loud.
    expect(isSilent(decoded({ decodedDurationS: 0.3, maxVolumeDb: -18, loudness: { ...speech, inputI: -Infinity } }), opts)).toBe(false);
  });
});

describe("chooseNormalization", () => {
  it("uses two-pass loudnorm with the measured values", () => {
    expect(chooseNormalization(decoded(), opts)).toEqual({ normalization: { method: "two-pass", measured: speech } });
  });

  it("falls back to one pass, and says so, when the measurement is unusable", () => {
    const c = chooseNormalization(decoded({ loudness: null }), opts);
    expect(c.normalization).toEqual({ method: "one-pass" });
    expect(c.note).toMatch(/one pass/);
    expect(chooseNormalization(decoded({ loudness: { ...speech, targetOffset: Infinity } }), opts).normalization.method).toBe("one-pass");
  });

  it("gives clips under 3 s a static gain, bounded by the peak", () => {
    const quiet = chooseNormalization(decoded({ decodedDurationS: 1, maxVolumeDb: -18, loudness: { ...speech, inputI: -21.7 } }), opts);
    expect(quiet.normalization).toEqual({ method: "gain", gainDb: 5.7 });
    expect(quiet.note).toMatch(/static gain of 5.7 dB/);
    const peaky = chooseNormalization(decoded({ decodedDurationS: 1, maxVolumeDb: -3, loudness: { ...speech, inputI: -25 } }), opts);
    expect(peaky.normalization).toEqual({ method: "gain", gainDb: 1 }); // -1.5 dBTP - 0.5 margin - (-3)
    const tiny = chooseNormalization(decoded({ decodedDurationS: 0.2, maxVolumeDb: -18, meanVolumeDb: -21, loudness: { ...speech, inputI: -Infinity } }), opts);
    expect(tiny.normalization).toEqual({ method: "gain", gainDb: 5 });
  });
});

describe("resolveMediaOptions", () => {
  it("keeps the defaults of ARCHITECTURE §6 and refuses nonsense", () => {
    expect(opts).toMatchObject({ maxBytes: 50 * 1024 * 1024, maxDurationS: 1800, targetLufs: -16, codec: "opus", maxTextChars: 5000 });
    expect(() => resolveMediaOptions({ maxBytes: 0 })).toThrow(RangeError);
    expect(() => resolveMediaOptions({ targetLufs: 3 })).toThrow(RangeError);
  });
});
