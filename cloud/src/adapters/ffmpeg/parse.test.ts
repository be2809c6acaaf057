/** Parsers fed with output captured from the shipped ffmpeg/ffprobe (ffmpeg 4.x static build). */
import { describe, expect, it } from "vitest";
import {
  decodeProblems,
  durationEstimated,
  parseDb,
  parseEbur128Integrated,
  parseLoudnorm,
  parseLoudnormMode,
  parseProbe,
  parseVolumedetect,
} from "./parse.js";

const TRUNCATED_MP3 = `[mp3 @ 0x210b4bc0] [warning] filesize and duration do not match (growing file?)
[info] Input #0, mp3, from 'trunc.mp3':
[info]   Duration: 00:00:06.01, start: 0.050113, bitrate: 26 kb/s
[info]     Stream #0:0: Audio: mp3, 22050 Hz, mono, fltp, 128 kb/s
[mp3float @ 0x210b6bc0] [error] invalid new backstep -1
[info] video:0kB audio:442kB subtitle:0kB other streams:0kB global headers:0kB muxing overhead: unknown
[Parsed_volumedetect_1 @ 0x210d6300] [info] n_samples: 56160
[Parsed_volumedetect_1 @ 0x210d6300] [info] mean_volume: -19.3 dB
[Parsed_volumedetect_1 @ 0x210d6300] [info] max_volume: -0.5 dB
[Parsed_volumedetect_1 @ 0x210d6300] [info] histogram_0db: 12
[Parsed_loudnorm_2 @ 0x210b6a00] [info] 
{
\t"input_i" : "-19.02",
\t"input_tp" : "-0.45",
\t"input_lra" : "0.00",
\t"input_thresh" : "-29.02",
\t"output_i" : "-24.00",
\t"output_tp" : "-5.43",
\t"output_lra" : "0.00",
\t"output_thresh" : "-34.00",
\t"normalization_type" : "dynamic",
\t"target_offset" : "-0.00"
}
`;

const SHORT_TONE = `[info] Input #0, wav, from 'tone03.wav':
[Parsed_volumedetect_1 @ 0x7581d80] [info] n_samples: 14400
[Parsed_volumedetect_1 @ 0x7581d80] [info] mean_volume: -21.1 dB
[Parsed_volumedetect_1 @ 0x7581d80] [info] max_volume: -18.1 dB
[Parsed_loudnorm_2 @ 0x7581e00] [info] 
{
\t"input_i" : "-inf",
\t"input_tp" : "-18.06",
\t"input_lra" : "0.00",
\t"input_thresh" : "-70.00",
\t"output_i" : "-inf",
\t"output_tp" : "-18.06",
\t"output_lra" : "0.00",
\t"output_thresh" : "-70.00",
\t"normalization_type" : "linear",
\t"target_offset" : "inf"
}
`;

const EBUR128 = `[info] size=N/A time=00:00:05.93 bitrate=N/A speed= 308x
[Parsed_ebur128_0 @ 0x9ba6600] [info] Summary:

  Integrated loudness:
    I:         -17.2 LUFS
    Threshold: -27.2 LUFS

  Loudness range:
    LRA:         1.0 LU
    Threshold: -37.0 LUFS
`;

describe("ffprobe output", () => {
  it("reads format, duration and the first audio stream", () => {
    const json = JSON.stringify({
      streams: [
        { index: 0, codec_type: "video", codec_name: "h264" },
        { index: 1, codec_type: "audio", codec_name: "aac", channels: 2, sample_rate: "44100" },
      ],
      format: { format_name: "mov,mp4,m4a,3gp,3g2,mj2", duration: "5.944000" },
    });
    expect(parseProbe(json, 0)).toEqual({
      kind: "ok",
      info: { formatName: "mov,mp4,m4a,3gp,3g2,mj2", durationS: 5.944, audio: { codec: "aac", channels: 2, sampleRate: 44_100 } },
    });
  });

  it("reports no audio stream and an unknown duration", () => {
    const json = JSON.stringify({ streams: [{ codec_type: "video", codec_name: "png" }], format: { format_name: "png_pipe" } });
    expect(parseProbe(json, 0)).toEqual({ kind: "ok", info: { formatName: "png_pipe", durationS: null, audio: null } });
  });

  it("calls a failed probe, an error object or an empty answer unrecognised", () => {
    const failed = JSON.stringify({ error: { code: -22, string: "Invalid argument" } });
    expect(parseProbe(failed, 1)).toEqual({ kind: "unrecognised", detail: "Invalid argument" });
    expect(parseProbe("{}", 0)).toMatchObject({ kind: "unrecognised" });
    expect(parseProbe("not json", 1, "text.mp3: Invalid data found when processing input\n")).toEqual({
      kind: "unrecognised",
      detail: "text.mp3: Invalid data found when processing input",
    });
  });
});

describe("ffmpeg measurements", () => {
  it("reads loudnorm's JSON, volumedetect and problems from a truncated mp3", () => {
    expect(parseLoudnorm(TRUNCATED_MP3)).toEqual({ inputI: -19.02, inputTp: -0.45, inputLra: 0, inputThresh: -29.02, targetOffset: -0 });
    expect(parseLoudnormMode(TRUNCATED_MP3)).toBe("dynamic");
    expect(parseVolumedetect(TRUNCATED_MP3)).toEqual({ nSamples: 56160, meanDb: -19.3, maxDb: -0.5 });
    expect(decodeProblems(TRUNCATED_MP3)).toEqual([
      "[mp3 @ 0x210b4bc0] [warning] filesize and duration do not match (growing file?)",
      "[mp3float @ 0x210b6bc0] [error] invalid new backstep -1",
    ]);
  });

  it("keeps -inf and inf as infinities, so an unmeasurable clip is told from a failed parse", () => {
    expect(parseLoudnorm(SHORT_TONE)).toMatchObject({ inputI: -Infinity, targetOffset: Infinity, inputTp: -18.06 });
    expect(parseLoudnormMode(SHORT_TONE)).toBe("linear");
    expect(parseDb(" -inf ")).toBe(-Infinity);
    expect(parseDb("nan")).toBeNull();
    expect(parseLoudnorm("[info] no json here")).toBeNull();
    expect(parseLoudnorm('{ "input_i" : "-19", "input_tp" : "x" }')).toBeNull();
  });

  it("finds no problems in clean output, and notices a guessed duration", () => {
    expect(decodeProblems(SHORT_TONE)).toEqual([]);
    expect(decodeProblems("[wav @ 0x1] [warning] Estimating duration from bitrate, this may be inaccurate")).toEqual([]);
    expect(decodeProblems("[warning] trunc.wav: corrupt input packet in stream 0")).toHaveLength(1);
    expect(durationEstimated("[wav @ 0x1] [warning] Estimating duration from bitrate, this may be inaccurate")).toBe(true);
    expect(durationEstimated(SHORT_TONE)).toBe(false);
    expect(parseVolumedetect("[info] nothing decoded")).toBeNull();
  });

  it("reads ebur128's integrated loudness and treats the -70 LUFS floor as unmeasured", () => {
    expect(parseEbur128Integrated(EBUR128)).toBe(-17.2);
    expect(parseEbur128Integrated(EBUR128.replace("-17.2", "-70.0"))).toBeNull();
    expect(parseEbur128Integrated("[info] no summary")).toBeNull();
  });
});
