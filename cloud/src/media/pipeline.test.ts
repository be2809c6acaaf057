/**
 * The media pipeline end to end on real ffmpeg and espeak-ng (ARCHITECTURE §6): real inputs in, real
 * Opus/MP3 out, every rejection leaves the media dir and the temp dir empty.
 */
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, truncate, writeFile, copyFile, stat } from "node:fs/promises";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LoaError } from "@loa/shared";
import { requireTool } from "../../../test/support/tools.js";
import { FfmpegTranscoder } from "../adapters/ffmpeg/ffmpeg-transcoder.js";
import { generateTone } from "../adapters/ffmpeg/tone.js";
import { EspeakNgTts } from "../adapters/tts/espeak-ng.js";
import { NoTts } from "../adapters/tts/no-tts.js";
import { MediaError, type MediaErrorCode } from "./errors.js";
import { MediaPipeline, type MediaPipelineDeps } from "./pipeline.js";
import type { AudioTranscoder } from "./ports.js";
import { binaries, convert, ffmpeg, ls, probe, silenceWav, speechWav } from "./testdata/inputs.fixture.js";

const hasEspeak = requireTool("espeak-ng");

describe.skipIf(!hasEspeak)("MediaPipeline on real ffmpeg", () => {
  let root: string;
  let inputs: string;
  let mediaDir: string;
  let tmp: string;
  let transcoder: FfmpegTranscoder;
  let speech: { wav: string; mp3: string; ogg: string; m4a: string; webm: string };

  /** A transcoder that counts its calls, to prove a check happened before any tool ran. */
  function counting(inner: AudioTranscoder): AudioTranscoder & { calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      probe: (p) => (calls.push("probe"), inner.probe(p)),
      analyze: (r) => (calls.push("analyze"), inner.analyze(r)),
      encode: (r) => (calls.push("encode"), inner.encode(r)),
      loudness: (p) => (calls.push("loudness"), inner.loudness(p)),
    };
  }

  function pipeline(deps: Partial<MediaPipelineDeps> = {}): MediaPipeline {
    return new MediaPipeline({ transcoder, mediaDir, tmpDir: tmp, ...deps });
  }

  async function expectRejected(work: Promise<unknown>, code: MediaErrorCode): Promise<MediaError> {
    const err = await work.then(
      () => expect.fail(`expected ${code}, but it was accepted`),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MediaError);
    expect(err).toBeInstanceOf(LoaError);
    expect((err as MediaError).code).toBe(code);
    expect((err as MediaError).messageVi.length).toBeGreaterThan(5);
    expect(await ls(mediaDir)).toEqual([]);
    expect(await ls(tmp)).toEqual([]);
    return err as MediaError;
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "loa-media-test-"));
    inputs = join(root, "inputs");
    mediaDir = join(root, "media");
    tmp = join(root, "tmp");
    await mkdir(inputs);
    await mkdir(tmp);
    const bins = await binaries();
    transcoder = new FfmpegTranscoder({ ffmpegPath: bins.ffmpegPath, ffprobePath: bins.ffprobePath });
    const wav = await speechWav(inputs);
    speech = {
      wav,
      mp3: await convert(wav, inputs, "speech.mp3", "-c:a", "libmp3lame", "-b:a", "64k"),
      ogg: await convert(wav, inputs, "speech.ogg", "-c:a", "libvorbis", "-q:a", "4"),
      m4a: await convert(wav, inputs, "speech.m4a", "-c:a", "aac", "-b:a", "64k"),
      webm: await convert(wav, inputs, "speech.webm", "-c:a", "libopus", "-b:a", "48k", "-ac", "2"),
    };
  });

  afterEach(async () => {
    await rm(mediaDir, { recursive: true, force: true });
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it.each(["wav", "mp3", "ogg", "m4a", "webm"] as const)("turns %s speech into mono 48 kHz Opus at -16 LUFS", async (kind) => {
    const input = speech[kind];
    const r = await pipeline().ingestFile(input);
    expect(r.codec).toBe("opus");
    expect(r.ext).toBe("opus");
    expect(r.normalization).toBe("two-pass");
    expect(r.loudnessLufs).not.toBeNull();
    expect(Math.abs((r.loudnessLufs ?? 0) + 16)).toBeLessThanOrEqual(1.5);
    // espeak-ng speaks at about -19 LUFS: the measured input is reported, and differs from the output.
    expect(r.inputLufs).toBeGreaterThan(-24);
    expect(r.inputLufs).toBeLessThan(-17.5);
    expect(r.duplicate).toBe(false);
    expect(r.path).toBe(join(mediaDir, `${r.sha256}.opus`));
    expect(r.file).toBe(`${r.sha256}.opus`);
    expect(await ls(mediaDir)).toEqual([r.file]);
    expect(await ls(tmp)).toEqual([]);
    const bytes = await readFile(r.path);
    expect(bytes.length).toBe(r.bytes);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(r.sha256);
    const out = await probe(r.path);
    expect(out).toMatchObject({ codec: "opus", channels: 1, sampleRate: 48_000 });
    const inputDuration = (await probe(speech.wav)).durationS;
    expect(Math.abs(r.durationMs - inputDuration * 1000)).toBeLessThan(150);
    expect(r.durationMs).toBe(Math.round(out.durationS * 1000));
    // About 32 kb/s of speech: far smaller than the input.
    expect((r.bytes * 8) / out.durationS).toBeLessThan(45_000);
    expect(r.timings.totalMs).toBeGreaterThanOrEqual(r.timings.probeMs + r.timings.encodeMs);
    expect(Object.values(r.timings).every((ms) => ms >= 0)).toBe(true);
  });

  it("stores the same upload once and says so the second time", async () => {
    const p = pipeline();
    const first = await p.ingestFile(speech.mp3);
    const stored = await stat(first.path);
    const second = await p.ingestFile(speech.mp3);
    expect(second.sha256).toBe(first.sha256);
    expect(second.duplicate).toBe(true);
    expect(first.duplicate).toBe(false);
    expect(await ls(mediaDir)).toEqual([first.file]);
    expect((await stat(first.path)).mtimeMs).toBe(stored.mtimeMs); // not rewritten
  });

  it("queues concurrent ingests beyond `concurrency`; identical ones still end up as one file", async () => {
    const p = pipeline({ options: { concurrency: 1 } });
    const [a, b, c] = await Promise.all([p.ingestFile(speech.wav), p.ingestFile(speech.wav), p.ingestFile(speech.m4a)]);
    expect(a.sha256).toBe(b.sha256);
    expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
    const waits = [a, b, c].map((r) => r.timings.queueMs).sort((x, y) => x - y);
    expect(waits[0]).toBeLessThan(50);
    expect(waits[2]).toBeGreaterThanOrEqual(Math.min(a.timings.encodeMs, b.timings.encodeMs));
    expect((await ls(mediaDir)).sort()).toEqual([a.file, c.file].sort());
    expect(p.load).toEqual({ running: 0, queued: 0 });
  });

  it("writes MP3 when asked, per pipeline or per call", async () => {
    const perCall = await pipeline().ingestFile(speech.wav, { codec: "mp3" });
    const configured = await pipeline({ options: { codec: "mp3" } }).ingestFile(speech.wav);
    expect(configured.sha256).toBe(perCall.sha256);
    expect(perCall).toMatchObject({ codec: "mp3", ext: "mp3", mimeType: "audio/mpeg", file: `${perCall.sha256}.mp3` });
    expect(await probe(perCall.path)).toMatchObject({ codec: "mp3", channels: 1, sampleRate: 48_000 });
    expect(Math.abs((perCall.loudnessLufs ?? 0) + 16)).toBeLessThanOrEqual(1.5);
  });

  it("rejects a text file named .mp3 as not_audio, before decoding anything", async () => {
    const fake = join(inputs, "notes.mp3");
    await writeFile(fake, "Biên bản họp thôn ngày 12 tháng 3.\n".repeat(50));
    const t = counting(transcoder);
    await expectRejected(pipeline({ transcoder: t }).ingestFile(fake), "not_audio");
    expect(t.calls).toEqual(["probe"]);
  });

  it("rejects an image (no audio stream) as not_audio", async () => {
    const png = join(inputs, "photo.png");
    await ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64:rate=1", "-frames:v", "1", png);
    const err = await expectRejected(pipeline().ingestFile(png), "not_audio");
    expect(err.details?.reason).toMatch(/not accepted|no audio/);
  });

  it("refuses a playlist that names another file, so an upload cannot make ffmpeg read it", async () => {
    const playlist = join(inputs, "upload.m3u8");
    await writeFile(playlist, `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:6,\n${speech.wav}\n#EXT-X-ENDLIST\n`);
    const err = await expectRejected(pipeline().ingestFile(playlist), "not_audio");
    expect(err.details?.reason).toMatch(/format hls/);
  });

  it("rejects a truncated mp3 as corrupt", async () => {
    const cut = join(inputs, "truncated.mp3");
    await copyFile(speech.mp3, cut);
    await truncate(cut, Math.floor((await stat(cut)).size / 2) + 7); // mid-frame
    const err = await expectRejected(pipeline().ingestFile(cut), "corrupt");
    expect(err.details?.decodedDurationS).toBeLessThan(Number(err.details?.probedDurationS));
  });

  it("rejects 30 s of silence as silent", async () => {
    const silence = await silenceWav(inputs, 30);
    const err = await expectRejected(pipeline().ingestFile(silence), "silent");
    expect(err.message).toMatch(/silent/);
  });

  it("rejects a file over the byte limit as too_big without running ffmpeg", async () => {
    const t = counting(transcoder);
    const p = pipeline({ transcoder: t, options: { maxBytes: 10_000 } });
    const err = await expectRejected(p.ingestFile(speech.wav), "too_big");
    expect(t.calls).toEqual([]);
    expect(err.message).toContain("MB");
  });

  it("rejects an upload stream as too_big as soon as it crosses the limit", async () => {
    const p = pipeline({ options: { maxBytes: 10_000 } });
    await expectRejected(p.ingestStream(createReadStream(speech.wav)), "too_big");
  });

  it("ingests an upload stream within the limit and removes its spool file", async () => {
    const r = await pipeline().ingestStream(createReadStream(speech.ogg));
    expect(r.codec).toBe("opus");
    expect(await ls(mediaDir)).toEqual([r.file]);
    expect(await ls(tmp)).toEqual([]);
  });

  it("rejects audio over the duration limit as too_long", async () => {
    const t = counting(transcoder);
    const err = await expectRejected(pipeline({ transcoder: t, options: { maxDurationS: 2 } }).ingestFile(speech.mp3), "too_long");
    expect(t.calls).toEqual(["probe"]); // the container said so: no decode needed
    expect(err.messageVi).toContain("2 giây");
  });

  it("turns a tool failure into ffmpeg_failed and leaves no half-written file", async () => {
    const bins = await binaries();
    const noFfmpeg = new FfmpegTranscoder({ ffmpegPath: join(root, "no-ffmpeg"), ffprobePath: bins.ffprobePath });
    await expectRejected(pipeline({ transcoder: noFfmpeg }).ingestFile(speech.wav), "ffmpeg_failed");
    const dying: AudioTranscoder = {
      ...counting(transcoder),
      encode: async (req) => {
        await writeFile(req.output, "half an ogg page");
        throw new Error("killed");
      },
    };
    const err = await expectRejected(pipeline({ transcoder: dying }).ingestFile(speech.wav), "ffmpeg_failed");
    expect(err.details?.reason).toBe("killed");
  });

  it("normalises a clip too short for loudnorm with a static gain, and says so", async () => {
    const tone = await generateTone({ freqHz: 440, durationMs: 1500, outPath: join(inputs, "tone.wav") });
    const r = await pipeline().ingestFile(tone);
    expect(r.normalization).toBe("gain");
    expect(r.normalizationNote).toMatch(/static gain/);
    expect(Math.abs((r.loudnessLufs ?? 0) + 16)).toBeLessThanOrEqual(1.5);
    expect(Math.abs(r.durationMs - 1500)).toBeLessThan(100);
  });

  it("generates tones as WAV and Opus", async () => {
    const wav = await generateTone({ freqHz: 1000, durationMs: 700, sampleRate: 16_000, outPath: join(inputs, "t.wav") });
    const opus = await generateTone({ freqHz: 1000, durationMs: 700, format: "opus", outPath: join(inputs, "t.opus") });
    expect(await probe(wav)).toMatchObject({ codec: "pcm_s16le", channels: 1, sampleRate: 16_000, durationS: 0.7 });
    const o = await probe(opus);
    expect(o).toMatchObject({ codec: "opus", channels: 1 });
    expect(Math.abs(o.durationS - 0.7)).toBeLessThan(0.05);
  });

  describe("TTS bulletins", () => {
    it("speaks Vietnamese text with espeak-ng into a normalised Opus file", async () => {
      const r = await pipeline({ tts: new EspeakNgTts() }).synthesizeBulletin(
        "  Xin chào bà con, đây là thông báo của ủy ban nhân dân xã về lịch tiêm phòng cho gia súc.  ",
      );
      expect(r.codec).toBe("opus");
      expect(r.durationMs).toBeGreaterThan(2500);
      expect(Math.abs((r.loudnessLufs ?? 0) + 16)).toBeLessThanOrEqual(1.5);
      expect(await ls(mediaDir)).toEqual([r.file]);
      expect(await ls(tmp)).toEqual([]);
    });

    it("answers tts_unavailable when the engine is not installed or there is none", async () => {
      const err = await expectRejected(pipeline({ tts: new NoTts() }).synthesizeBulletin("Xin chào"), "tts_unavailable");
      expect(err.message).toMatch(/not available/);
      await expectRejected(pipeline().synthesizeBulletin("Xin chào"), "tts_unavailable");
      const missing = new EspeakNgTts({ bin: join(root, "no-such-espeak") });
      await expectRejected(pipeline({ tts: missing }).synthesizeBulletin("Xin chào"), "tts_unavailable");
    });

    it("refuses over-long and empty text before speaking", async () => {
      const p = pipeline({ tts: new EspeakNgTts(), options: { maxTextChars: 20 } });
      const err = await expectRejected(p.synthesizeBulletin("Xin chào bà con, đây là thông báo"), "text_too_long");
      expect(err.messageVi).toContain("20 ký tự");
      await expectRejected(p.synthesizeBulletin(" \n\t "), "text_empty");
      // Vietnamese letters count once each, even when a phone sends them decomposed (letter + marks).
      const twenty = "ủy ban nhân dân xã ơ";
      expect(p.checkText(twenty.normalize("NFD"))).toBe(twenty.normalize("NFC"));
      expect(twenty.normalize("NFD").length).toBeGreaterThan(20);
    });

    it("refuses a voice name espeak-ng does not have", async () => {
      const p = pipeline({ tts: new EspeakNgTts() });
      const err = await expectRejected(p.synthesizeBulletin("Xin chào", { voice: "xx-nope" }), "tts_unavailable");
      expect(err.message).toContain("xx-nope");
      await expectRejected(p.synthesizeBulletin("Xin chào", { voice: "--help" }), "tts_unavailable");
    });
  });
});
