/** The espeak-ng adapter against the real program (ARCHITECTURE §6: Vietnamese, `-v vi`). */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTool } from "../../../../test/support/tools.js";
import { MediaError } from "../../media/errors.js";
import { probe } from "../../media/testdata/inputs.fixture.js";
import { EspeakNgTts } from "./espeak-ng.js";
import { NoTts } from "./no-tts.js";
import { detectTts } from "./index.js";

describe.skipIf(!requireTool("espeak-ng"))("EspeakNgTts", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "loa-tts-test-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is available and speaks Vietnamese into a WAV in the given dir", async () => {
    const tts = new EspeakNgTts();
    expect(tts.id).toBe("espeak-ng");
    expect(await tts.available()).toBe(true);
    const wav = await tts.synthesize("Xin chào bà con", { dir });
    expect(dirname(wav)).toBe(dir);
    expect((await readFile(wav)).subarray(0, 4).toString("latin1")).toBe("RIFF");
    const p = await probe(wav);
    expect(p).toMatchObject({ codec: "pcm_s16le", channels: 1 });
    expect(p.durationS).toBeGreaterThan(0.5);
  });

  it("speaks text that looks like options instead of obeying it", async () => {
    const evil = join(dir, "evil.wav");
    const wav = await new EspeakNgTts().synthesize(`--version -w ${evil}`, { dir });
    expect((await probe(wav)).durationS).toBeGreaterThan(1);
    expect(existsSync(evil)).toBe(false);
  });

  it("speaks longer with more text, and in another accent when asked", async () => {
    const tts = new EspeakNgTts();
    const short = await probe(await tts.synthesize("Xin chào", { dir }));
    const long = await probe(await tts.synthesize("Xin chào bà con, hôm nay xã tổ chức tiêm phòng cho trẻ em.", { dir }));
    expect(long.durationS).toBeGreaterThan(short.durationS * 2);
    const south = await tts.synthesize("Xin chào", { dir, voice: "vi-vn-x-south" });
    expect((await probe(south)).durationS).toBeGreaterThan(0.3);
  });

  it("is unavailable when the program is missing, and detectTts then picks NoTts", async () => {
    const missing = new EspeakNgTts({ bin: join(dir, "no-espeak") });
    expect(await missing.available()).toBe(false);
    expect((await detectTts({ bin: join(dir, "no-espeak") })).id).toBe("none");
    expect((await detectTts()).id).toBe("espeak-ng");
  });

  it("rejects an unknown voice with tts_unavailable naming it", async () => {
    const err = await new EspeakNgTts().synthesize("Xin chào", { dir, voice: "zz" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect((err as MediaError).code).toBe("tts_unavailable");
    expect((err as MediaError).message).toContain('"zz"');
  });
});

describe("NoTts", () => {
  it("is never available and refuses to speak", async () => {
    const tts = new NoTts();
    expect(await tts.available()).toBe(false);
    await expect(tts.synthesize()).rejects.toMatchObject({ code: "tts_unavailable" });
  });
});
