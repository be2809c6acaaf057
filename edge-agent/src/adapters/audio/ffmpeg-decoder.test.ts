import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FfmpegDecoder } from "./ffmpeg-decoder.js";
import { resolveFfmpegPath } from "./ffmpeg-path.js";

const run = promisify(execFile);
let dir = "";
const ffmpeg = resolveFfmpegPath();

async function readAll(pcm: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of pcm) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "loa-ffdec-"));
  await run(ffmpeg, ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=0.8", "-ac", "1", "-c:a", "libopus", "-b:a", "32k", join(dir, "tone.ogg")]);
  await run(ffmpeg, ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=30:sample_rate=44100", "-ac", "2", "-c:a", "libmp3lame", join(dir, "long.mp3")]);
  await writeFile(join(dir, "corrupt.mp3"), "this is not audio at all");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("resolveFfmpegPath (ARCHITECTURE §6)", () => {
  it("prefers FFMPEG_PATH, else the binary of @ffmpeg-installer/ffmpeg", () => {
    expect(resolveFfmpegPath({ FFMPEG_PATH: "/opt/ff/ffmpeg" })).toBe("/opt/ff/ffmpeg");
    expect(resolveFfmpegPath({})).toMatch(/@ffmpeg-installer[/\\].+ffmpeg$/);
  });
});

describe("FfmpegDecoder", () => {
  it("decodes Opus/Ogg to PCM s16le mono 48 kHz of the source's length", async () => {
    const job = new FfmpegDecoder().decode({ kind: "file", path: join(dir, "tone.ogg") });
    const pcm = await readAll(job.pcm);
    await expect(job.done).resolves.toBeUndefined();
    expect(Math.abs(pcm.length / 96 - 800)).toBeLessThanOrEqual(20);
  });

  it("downmixes and resamples: 44.1 kHz stereo MP3 comes out mono 48 kHz", async () => {
    const job = new FfmpegDecoder().decode({ kind: "file", path: join(dir, "long.mp3") });
    const pcm = await readAll(job.pcm);
    expect(Math.abs(pcm.length / 96 - 30_000)).toBeLessThanOrEqual(60);
    let crossings = 0;
    for (let i = 2; i < 96_000; i += 2) if (pcm.readInt16LE(i - 2) < 0 && pcm.readInt16LE(i) >= 0) crossings++;
    expect(Math.abs(crossings - 440)).toBeLessThanOrEqual(2); // still 440 Hz after 44.1k -> 48k
  });

  it("reports decode_failed with ffmpeg's reason for a corrupt file; the PCM just ends", async () => {
    const job = new FfmpegDecoder().decode({ kind: "file", path: join(dir, "corrupt.mp3") });
    expect((await readAll(job.pcm)).length).toBe(0);
    await expect(job.done).rejects.toMatchObject({ code: "decode_failed", message: expect.stringContaining("corrupt.mp3") as unknown });
  });

  it("reports decoder_unavailable when the ffmpeg binary does not exist", async () => {
    const job = new FfmpegDecoder({ ffmpegPath: join(dir, "no-ffmpeg") }).decode({ kind: "file", path: join(dir, "tone.ogg") });
    await expect(job.done).rejects.toMatchObject({ code: "decoder_unavailable" });
  });

  it("kill() stops a decode early and `done` resolves (a stopped play is not a decode error)", async () => {
    const job = new FfmpegDecoder().decode({ kind: "file", path: join(dir, "long.mp3") });
    await new Promise((r) => job.pcm.once("readable", r));
    job.kill();
    job.kill();
    await expect(job.done).resolves.toBeUndefined();
  });

  it("generates a test tone in JS without ffmpeg", async () => {
    const job = new FfmpegDecoder({ ffmpegPath: join(dir, "no-ffmpeg") }).decode({ kind: "tone", freqHz: 1_000, durationMs: 250 });
    expect((await readAll(job.pcm)).length).toBe(250 * 96);
    await expect(job.done).resolves.toBeUndefined();
  });
});
