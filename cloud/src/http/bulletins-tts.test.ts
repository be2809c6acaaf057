/**
 * TTS bulletins (ARCHITECTURE §6 TTS, §7 `POST /api/v1/bulletins/tts`): real espeak-ng speech through the
 * real pipeline; 503 without an engine; 422 for empty or over-long text, with Vietnamese messages.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { BulletinView } from "@loa/shared";
import { requireTool } from "../../../test/support/tools.js";
import { EspeakNgTts } from "../adapters/tts/espeak-ng.js";
import { NoTts } from "../adapters/tts/no-tts.js";
import { bodyOf } from "./harness.fixture.js";
import { ls, SHORT_SPEECH_VI, startBulletinHarness, type BulletinHarness } from "./bulletins.fixture.js";

const hasEspeak = requireTool("espeak-ng");

let h: BulletinHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const created = (r: { json: unknown }) => bodyOf<{ bulletin: BulletinView }>(r).bulletin;

async function expectNothingStored(x: BulletinHarness): Promise<void> {
  expect(x.catalog.data().bulletins).toEqual([]);
  expect(await ls(x.mediaDir)).toEqual([]);
  expect(await ls(x.spoolDir)).toEqual([]);
}

describe.skipIf(!hasEspeak)("POST /api/v1/bulletins/tts with espeak-ng", () => {
  it("speaks the text into a normalised bulletin that keeps the text", async () => {
    h = await startBulletinHarness({ tts: new EspeakNgTts() });
    // Decomposed Vietnamese (as some phones send it) with stray spaces: stored NFC and trimmed.
    const r = await h.req("POST", "/api/v1/bulletins/tts", {
      cookie: await h.cookie("c1staff"),
      body: { title: "Thông báo họp", text: `  ${SHORT_SPEECH_VI.normalize("NFD")} \n` },
    });
    expect(r.status).toBe(201);
    const b = created(r);
    expect(b).toMatchObject({ title: "Thông báo họp", source: "tts", text: SHORT_SPEECH_VI, codec: "opus", areaId: "C1", createdByUsername: "c1staff" });
    expect(b.durationMs).toBeGreaterThan(2500);
    expect(Math.abs((b.loudnessLufs ?? 0) + 16)).toBeLessThanOrEqual(1.5);
    expect(await ls(h.mediaDir)).toEqual([`${b.sha256}.opus`]);
    const audio = await fetch(h.url + b.audioUrl, { headers: { cookie: await h.cookie("c1staff") } });
    expect(audio.status).toBe(200);
    expect((await audio.arrayBuffer()).byteLength).toBe(b.bytes);
    const listed = bodyOf<{ items: BulletinView[] }>(await h.req("GET", "/api/v1/bulletins?source=tts", { cookie: await h.cookie("c1op") }));
    expect(listed.items.map((x) => x.id)).toEqual([b.id]);
  });

  it("refuses empty and over-long text (422, in Vietnamese too), bad bodies and operators", async () => {
    h = await startBulletinHarness({ tts: new EspeakNgTts(), media: { maxTextChars: 40 } });
    const cookie = await h.cookie("c1staff");
    const empty = await h.req("POST", "/api/v1/bulletins/tts", { cookie, body: { title: "Trống", text: " \n\t " } });
    expect(empty.status).toBe(422);
    expect(empty.json).toMatchObject({ code: "text_empty", detailVi: expect.stringContaining("Văn bản trống") });
    const long = await h.req("POST", "/api/v1/bulletins/tts", { cookie, body: { title: "Dài", text: SHORT_SPEECH_VI } });
    expect(long.status).toBe(422);
    expect(long.json).toMatchObject({ code: "text_too_long", detailVi: expect.stringContaining("40 ký tự") });
    const noTitle = await h.req("POST", "/api/v1/bulletins/tts", { cookie, body: { text: "Xin chào" } });
    expect(noTitle.status).toBe(422);
    expect(noTitle.json).toMatchObject({ code: "invalid_body", errors: [{ path: "$.title" }] });
    const badVoice = await h.req("POST", "/api/v1/bulletins/tts", { cookie, body: { title: "X", text: "Xin chào", voice: "--help" } });
    expect(badVoice.status).toBe(422);
    const operator = await h.req("POST", "/api/v1/bulletins/tts", { cookie: await h.cookie("c1op"), body: { title: "X", text: "Xin chào" } });
    expect(operator.status).toBe(403);
    await expectNothingStored(h);
  });
});

describe("bulletin routes without a TTS engine", () => {
  it("answers 503 tts_unavailable and stores nothing", async () => {
    h = await startBulletinHarness({ tts: new NoTts() });
    const r = await h.req("POST", "/api/v1/bulletins/tts", { cookie: await h.cookie("c1staff"), body: { title: "X", text: "Xin chào bà con" } });
    expect(r.status).toBe(503);
    expect(r.json).toMatchObject({ code: "tts_unavailable", detail: expect.stringContaining("not available"), detailVi: expect.any(String) });
    await expectNothingStored(h);
  });

  it("appear in the OpenAPI document, the upload as multipart", async () => {
    h = await startBulletinHarness({ tts: new NoTts() });
    const doc = (await h.req("GET", "/api/v1/openapi.json")).json as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const ops = Object.entries(doc.paths).flatMap(([p, o]) => Object.keys(o).map((m) => `${m.toUpperCase()} ${p}`));
    expect(ops).toEqual(expect.arrayContaining([
      "GET /api/v1/bulletins", "POST /api/v1/bulletins", "POST /api/v1/bulletins/tts",
      "GET /api/v1/bulletins/{id}", "DELETE /api/v1/bulletins/{id}", "GET /api/v1/bulletins/{id}/audio",
    ]));
    expect(doc.paths["/api/v1/bulletins"]?.["post"]?.["requestBody"]).toMatchObject({ content: { "multipart/form-data": {} } });
    expect(doc.paths["/api/v1/bulletins/{id}/audio"]?.["get"]?.["responses"]).toHaveProperty(["206"]);
  });
});
