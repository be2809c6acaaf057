/** The ffmpeg adapter on the real binaries: what it measures, the chain it builds, how it fails. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256File } from "../../media/content-store.js";
import { MediaError } from "../../media/errors.js";
import { binaries } from "../../media/testdata/inputs.fixture.js";
import { FfmpegTranscoder, normalizeChain } from "./ffmpeg-transcoder.js";
import { generateTone } from "./tone.js";

const target = { i: -16, tp: -1.5, lra: 11 };
let dir: string;
let tone: string;
let ff: FfmpegTranscoder;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "loa-ffmpeg-test-"));
  const bins = await binaries();
  ff = new FfmpegTranscoder(bins);
  tone = await generateTone({ freqHz: 440, durationMs: 4000, sampleRate: 22_050, outPath: join(dir, "tone.wav"), ffmpegPath: bins.ffmpegPath });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("FfmpegTranscoder", () => {
  it("probes a WAV", async () => {
    expect(await ff.probe(tone)).toEqual({
      kind: "ok",
      info: { formatName: "wav", durationS: 4, audio: { codec: "pcm_s16le", channels: 1, sampleRate: 22_050 } },
    });
  });

  it("measures a sine at ffmpeg's -18 dBFS: peak, RMS, loudness and the seconds decoded", async () => {
    const a = await ff.analyze({ input: tone, formatName: "wav", target, capS: 60 });
    expect(a.exitCode).toBe(0);
    expect(a.problems).toEqual([]);
    expect(a.decodedDurationS).toBeCloseTo(4, 2);
    expect(a.maxVolumeDb).toBeCloseTo(-18.1, 0);
    expect(a.meanVolumeDb).toBeCloseTo(-21.1, 0);
    expect(a.loudness?.inputI).toBeGreaterThan(-23);
    expect(a.loudness?.inputI).toBeLessThan(-20.5);
  });

  it("stops decoding at the cap", async () => {
    const a = await ff.analyze({ input: tone, formatName: "wav", target, capS: 1.5 });
    expect(a.decodedDurationS).toBeCloseTo(1.5, 2);
  });

  it("gives the same bytes for the same input (no random Ogg serial), so storage can dedupe", async () => {
    const a = await ff.analyze({ input: tone, formatName: "wav", target, capS: 60 });
    const measured = a.loudness;
    if (!measured) throw new Error("no measurement");
    const req = { input: tone, formatName: "wav", codec: "opus" as const, bitrateKbps: 32, sampleRate: 48_000, target };
    const outs = [join(dir, "a.opus"), join(dir, "b.opus")];
    for (const output of outs) {
      await ff.encode({ ...req, output, normalization: { method: "two-pass", measured } });
    }
    const [x, y] = await Promise.all(outs.map((o) => sha256File(o)));
    expect(x?.sha256).toBe(y?.sha256);
    expect(await ff.loudness(outs[0] ?? "")).toBeCloseTo(-16, 0);
  });

  it("fails with ffmpeg_failed when a run exceeds its deadline", async () => {
    const bins = await binaries();
    const slow = new FfmpegTranscoder({ ...bins, timeoutMs: 1 });
    const err = await slow.analyze({ input: tone, formatName: "wav", target, capS: 60 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect((err as MediaError).code).toBe("ffmpeg_failed");
    expect(String((err as MediaError).details?.reason)).toMatch(/timed out/);
  });
});

describe("normalizeChain", () => {
  const measured = { inputI: -18.94, inputTp: 0.04, inputLra: 0.8, inputThresh: -29.04, targetOffset: 1.64 };

  it("feeds pass 1's figures to pass 2 in linear mode and resamples after loudnorm", () => {
    expect(normalizeChain({ method: "two-pass", measured }, target, 48_000)).toBe(
      "aformat=sample_rates=48000:channel_layouts=mono," +
        "loudnorm=I=-16.00:TP=-1.50:LRA=11.00:measured_I=-18.94:measured_TP=0.04:measured_LRA=0.80" +
        ":measured_thresh=-29.04:offset=1.64:linear=true:print_format=json,aresample=48000",
    );
  });

  it("runs loudnorm alone in one pass, and a plain gain for short clips", () => {
    expect(normalizeChain({ method: "one-pass" }, target, 48_000)).toMatch(/loudnorm=I=-16.00:TP=-1.50:LRA=11.00:print_format=json,aresample=48000$/);
    expect(normalizeChain({ method: "gain", gainDb: 5.75 }, target, 48_000)).toMatch(/volume=volume=5.75dB:precision=float,aresample=48000$/);
  });
});
