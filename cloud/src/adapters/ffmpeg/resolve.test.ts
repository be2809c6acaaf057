/** The binary resolution order of ARCHITECTURE §6, driven through env overrides and a fake loader. */
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MediaError } from "../../media/errors.js";
import { resolveFfmpeg } from "./resolve.js";

let root: string;
const absent = (): Promise<unknown> => Promise.reject(new Error("Cannot find package"));

async function exe(dir: string, name: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, "#!/bin/sh\nexit 0\n");
  await chmod(path, 0o755);
  return path;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "loa-ffres-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("resolveFfmpeg", () => {
  it("prefers FFMPEG_PATH and FFPROBE_PATH over everything", async () => {
    const ffmpeg = await exe(join(root, "env-a"), "my-ffmpeg");
    const ffprobe = await exe(join(root, "env-b"), "my-ffprobe");
    const r = await resolveFfmpeg({ FFMPEG_PATH: ffmpeg, FFPROBE_PATH: ffprobe, PATH: "" });
    expect(r).toEqual({ ffmpegPath: ffmpeg, ffprobePath: ffprobe, source: "env", ffprobeSource: "env" });
  });

  it("takes the ffprobe next to FFMPEG_PATH when only that is set", async () => {
    const dir = join(root, "env-both");
    const ffmpeg = await exe(dir, "ffmpeg");
    const ffprobe = await exe(dir, "ffprobe");
    const r = await resolveFfmpeg({ FFMPEG_PATH: ffmpeg, PATH: "" });
    expect(r).toMatchObject({ ffmpegPath: ffmpeg, ffprobePath: ffprobe, source: "env", ffprobeSource: "env" });
  });

  it("refuses a FFMPEG_PATH that is not an executable instead of silently falling back", async () => {
    const err = await resolveFfmpeg({ FFMPEG_PATH: join(root, "nope") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect(String((err as MediaError).details?.reason)).toContain("FFMPEG_PATH");
  });

  it("uses ffmpeg-static when someone installed it, before the installer packages", async () => {
    const staticBin = await exe(join(root, "static"), "ffmpeg");
    const load = (name: string): Promise<unknown> =>
      name === "ffmpeg-static" ? Promise.resolve({ default: staticBin }) : import(name);
    const r = await resolveFfmpeg({ PATH: "" }, { load });
    expect(r.ffmpegPath).toBe(staticBin);
    expect(r.source).toBe("ffmpeg-static");
    expect(r.ffprobeSource).toBe("@ffprobe-installer"); // ffmpeg-static ships no ffprobe
  });

  it("skips an ffmpeg-static whose binary was never downloaded", async () => {
    const load = (name: string): Promise<unknown> =>
      name === "ffmpeg-static" ? Promise.resolve({ default: join(root, "never-downloaded") }) : import(name);
    expect((await resolveFfmpeg({ PATH: "" }, { load })).source).toBe("@ffmpeg-installer");
  });

  it("defaults to the shipped @ffmpeg-installer and @ffprobe-installer binaries (ffmpeg-static is not installed)", async () => {
    const r = await resolveFfmpeg({ PATH: "" });
    expect(r.source).toBe("@ffmpeg-installer");
    expect(r.ffprobeSource).toBe("@ffprobe-installer");
    expect(r.ffmpegPath).toMatch(/@ffmpeg-installer[/\\].+[/\\]ffmpeg$/);
    expect(r.ffprobePath).toMatch(/@ffprobe-installer[/\\].+[/\\]ffprobe$/);
  });

  it("falls back to ffmpeg and ffprobe on PATH when no package provides them", async () => {
    const bin = join(root, "system-bin");
    const ffmpeg = await exe(bin, "ffmpeg");
    const ffprobe = await exe(bin, "ffprobe");
    const r = await resolveFfmpeg({ PATH: `${join(root, "empty")}:${bin}` }, { load: absent });
    expect(r).toEqual({ ffmpegPath: ffmpeg, ffprobePath: ffprobe, source: "system", ffprobeSource: "system" });
  });

  it("says what is missing when nothing is found", async () => {
    const err = await resolveFfmpeg({ PATH: join(root, "empty") }, { load: absent }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect((err as MediaError).code).toBe("ffmpeg_failed");
    expect(String((err as MediaError).details?.reason)).toMatch(/ffmpeg not found.*FFMPEG_PATH/);
  });
});
