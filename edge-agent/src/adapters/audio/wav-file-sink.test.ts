import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SystemClock } from "@loa/shared";
import { chunked } from "../../testing/sink-contract.js";
import { generateTone } from "./tone.js";
import { parseWav, wavHeader } from "./wav.js";
import { WavFileSink, wavFileNameOf } from "./wav-file-sink.js";

const clock = new SystemClock();
let dir = "";

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "loa-wav-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("WavFileSink (ARCHITECTURE §6 file)", () => {
  it("names files by playId and writes a valid 48 kHz mono 16-bit WAV with the final sizes", async () => {
    const sink = new WavFileSink({ clock, dir: join(dir, "capture") });
    const pcm = generateTone({ freqHz: 440, durationMs: 200 });
    await sink.play(chunked(pcm), { playId: "bc_1:1772344800000" }).done;
    expect(wavFileNameOf("bc_1:1772344800000")).toBe("bc_1_1772344800000.wav");
    const buf = await readFile(join(dir, "capture", "bc_1_1772344800000.wav"));
    expect(buf.subarray(0, 44).equals(wavHeader(pcm.length))).toBe(true);
    expect(buf.readUInt32LE(4)).toBe(buf.length - 8);
    expect(parseWav(buf)).toEqual({ sampleRate: 48_000, channels: 1, bitsPerSample: 16, dataBytes: pcm.length, dataOffset: 44, durationMs: 200 });
    expect(buf.subarray(44).equals(pcm)).toBe(true);
  });

  it("writes in real time (half-way the file holds about half the audio) and fixes the header after a stop", async () => {
    const sink = new WavFileSink({ clock, dir });
    const h = sink.play(chunked(generateTone({ freqHz: 440, durationMs: 1_000 })), { playId: "p:1" });
    await h.started;
    await new Promise((r) => setTimeout(r, 400));
    const midway = (await stat(sink.fileOf("p:1"))).size - 44;
    expect(midway / 96).toBeGreaterThan(300);
    expect(midway / 96).toBeLessThan(550);
    h.stop();
    const { playedMs } = await h.done;
    const info = parseWav(await readFile(sink.fileOf("p:1")));
    expect(Math.abs(info.durationMs - playedMs)).toBeLessThanOrEqual(25);
    expect(info.dataBytes + 44).toBe((await stat(sink.fileOf("p:1"))).size);
    expect(sink.records()).toMatchObject([{ playId: "p:1", playedMs, stopped: true }]);
  });

  it("prepare() opens the file ahead for play(); cancel() of an unused one leaves no file behind", async () => {
    const sink = new WavFileSink({ clock, dir });
    const used = sink.prepare({ playId: "p:used" });
    const unused = sink.prepare({ playId: "p:unused" });
    await new Promise((r) => setTimeout(r, 50));
    // Opened ahead: both files exist before any play() (timing it here flaked under parallel load).
    expect((await stat(sink.fileOf("p:used"))).isFile()).toBe(true);
    expect((await stat(sink.fileOf("p:unused"))).isFile()).toBe(true);
    const t0 = Date.now();
    const h = sink.play(chunked(generateTone({ freqHz: 440, durationMs: 100 })), { playId: "p:used" });
    expect(await h.started).toBeGreaterThanOrEqual(t0);
    await h.done;
    used.cancel(); // after play(): a no-op
    unused.cancel();
    await new Promise((r) => setTimeout(r, 50));
    expect(parseWav(await readFile(sink.fileOf("p:used"))).durationMs).toBe(100);
    await expect(stat(sink.fileOf("p:unused"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("rejects with sink_failed when the directory cannot be created", async () => {
    await writeFile(join(dir, "a-file"), "x");
    const sink = new WavFileSink({ clock, dir: join(dir, "a-file", "capture") }); // ENOTDIR
    await expect(sink.play(chunked(generateTone({ freqHz: 440, durationMs: 100 })), { playId: "x" }).done).rejects.toMatchObject({ code: "sink_failed" });
  });

  it("parseWav refuses what is not a PCM WAV", () => {
    expect(() => parseWav(Buffer.from("not a wav at all"))).toThrow(/RIFF/);
    const h = wavHeader(0);
    h.writeUInt16LE(3, 20); // float
    expect(() => parseWav(h)).toThrow(/PCM/);
  });
});
