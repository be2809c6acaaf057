/**
 * Bulletin upload and listing (ARCHITECTURE §6, §7 `POST/GET /api/v1/bulletins`) on real ffmpeg, the real
 * store and real multipart bodies. Every refusal is checked to leave nothing behind: no record, no media
 * file, no spool file.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { BulletinView, ProblemDetails } from "@loa/shared";
import { requireTool } from "../../../test/support/tools.js";
import { readAudit } from "../core/audit.js";
import { bodyOf } from "./harness.fixture.js";
import { ls, makeInputs, postForm, startBulletinHarness, streamUpload, type BulletinHarness, type Inputs, type Part } from "./bulletins.fixture.js";

const hasEspeak = requireTool("espeak-ng");

const created = (r: { json: unknown }) => bodyOf<{ bulletin: BulletinView }>(r).bulletin;
const problemOf = (r: { json: unknown }) => bodyOf<ProblemDetails>(r);

describe.skipIf(!hasEspeak)("bulletin uploads", () => {
  let inputs: Inputs;
  let h: BulletinHarness;

  beforeAll(async () => {
    inputs = await makeInputs();
  });
  afterAll(async () => {
    const { rm } = await import("node:fs/promises");
    if (inputs) await rm(inputs.dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    h = await startBulletinHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const upload = async (user: string, parts: Part[]) => postForm(h.url, await h.cookie(user), parts);
  const file = (path: string, name = "file"): Part => ({ name, path });

  /** Nothing stored anywhere: no record, no media file, no spool file. */
  async function expectNothingStored(): Promise<void> {
    expect(h.catalog.data().bulletins).toEqual([]);
    expect(await ls(h.mediaDir)).toEqual([]);
    expect(await ls(h.spoolDir)).toEqual([]);
  }

  async function expectRefused(r: { status: number; json: unknown; headers: Headers }, status: number, code: string): Promise<ProblemDetails> {
    expect(r.status).toBe(status);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    const p = problemOf(r);
    expect(p.code).toBe(code);
    expect(p.detail.length).toBeGreaterThan(10);
    expect(p.detailVi?.length ?? 0).toBeGreaterThan(10);
    await expectNothingStored();
    return p;
  }

  it("stores a wav as normalised Opus, answers 201 with the record, lists it and audits it", async () => {
    const r = await upload("c1staff", [{ name: "title", value: "Họp thôn sáng mai" }, file(inputs.wav)]);
    expect(r.status).toBe(201);
    const b = created(r);
    expect(b).toMatchObject({ title: "Họp thôn sáng mai", codec: "opus", source: "upload", areaId: "C1", createdBy: "u_c1staff", createdByUsername: "c1staff" });
    expect(b.id).toMatch(/^bul_[0-9a-f]{12}$/);
    expect(r.headers.get("location")).toBe(`/api/v1/bulletins/${b.id}`);
    expect(b.audioUrl).toBe(`/api/v1/bulletins/${b.id}/audio`);
    expect(b.mimeType).toMatch(/^audio\/ogg/);
    expect(b.durationMs).toBeGreaterThan(4000);
    // Speech normalised towards -16 LUFS (ARCHITECTURE §6), within 1.5 LU.
    expect(Math.abs((b.loudnessLufs ?? 0) + 16)).toBeLessThanOrEqual(1.5);
    const stored = await readFile(join(h.mediaDir, `${b.sha256}.opus`));
    expect(stored.length).toBe(b.bytes);
    expect(createHash("sha256").update(stored).digest("hex")).toBe(b.sha256);
    expect(h.catalog.data().bulletins).toEqual([expect.objectContaining({ id: b.id, sha256: b.sha256 })]);
    expect(await ls(h.spoolDir)).toEqual([]);

    const list = await h.req("GET", "/api/v1/bulletins", { cookie: await h.cookie("c1op") });
    expect(list.status).toBe(200);
    expect(bodyOf<{ items: BulletinView[] }>(list).items).toEqual([b]);
    const one = await h.req("GET", `/api/v1/bulletins/${b.id}`, { cookie: await h.cookie("root") });
    expect(created(one)).toEqual(b);

    const audit = await readAudit(h.journal, (e) => e.action === "bulletin.create");
    expect(audit).toMatchObject([{ who: { username: "c1staff" }, target: { type: "bulletin", id: b.id }, details: { title: "Họp thôn sáng mai", sha256: b.sha256, filename: "speech.wav" } }]);
  });

  it("takes mp3 and ogg, stores MP3 when asked, with fields before or after the file", async () => {
    const mp3 = await upload("c1staff", [file(inputs.mp3), { name: "title", value: "Từ mp3" }, { name: "codec", value: "mp3" }]);
    expect(mp3.status).toBe(201);
    expect(created(mp3)).toMatchObject({ codec: "mp3", mimeType: "audio/mpeg" });
    expect(await ls(h.mediaDir)).toContain(`${created(mp3).sha256}.mp3`);
    const ogg = await upload("c1admin", [{ name: "title", value: "Từ ogg" }, { name: "areaId", value: "V1" }, file(inputs.ogg)]);
    expect(ogg.status).toBe(201);
    expect(created(ogg)).toMatchObject({ codec: "opus", areaId: "V1", createdByUsername: "c1admin" });
    const items = bodyOf<{ items: BulletinView[] }>(await h.req("GET", "/api/v1/bulletins", { cookie: await h.cookie("c1staff") })).items;
    expect(items.map((i) => i.title)).toEqual(["Từ ogg", "Từ mp3"]); // newest first
    const villageOnly = await h.req("GET", "/api/v1/bulletins?areaId=V1", { cookie: await h.cookie("c1staff") });
    expect(bodyOf<{ items: BulletinView[] }>(villageOnly).items.map((i) => i.title)).toEqual(["Từ ogg"]);
  });

  it("stores the same content once: a new title makes a new record, the same title in the same area answers the existing one", async () => {
    const first = created(await upload("c1staff", [{ name: "title", value: "Tiêm phòng" }, file(inputs.wav)]));
    const renamed = await upload("c1staff", [{ name: "title", value: "Tiêm phòng (nhắc lại)" }, file(inputs.wav)]);
    expect(renamed.status).toBe(201);
    expect(created(renamed).sha256).toBe(first.sha256);
    expect(created(renamed).id).not.toBe(first.id);
    const again = await upload("c1admin", [{ name: "title", value: "Tiêm phòng" }, file(inputs.wav)]);
    expect(again.status).toBe(200);
    expect(created(again)).toEqual(first);
    expect(h.catalog.data().bulletins).toHaveLength(2);
    expect(await ls(h.mediaDir)).toEqual([`${first.sha256}.opus`]);
  });

  it("keeps a script-like title verbatim in JSON (escaping is the panel's job)", async () => {
    const title = `<script>alert(1)</script> "Thông báo" & 'xã'`;
    const r = await upload("c1staff", [{ name: "title", value: title }, file(inputs.mp3)]);
    expect(r.status).toBe(201);
    expect(r.headers.get("content-type")).toContain("application/json");
    expect(created(r).title).toBe(title);
    const list = await h.req("GET", "/api/v1/bulletins", { cookie: await h.cookie("c1staff") });
    expect(bodyOf<{ items: BulletinView[] }>(list).items[0]?.title).toBe(title);
  });

  it("refuses a text file named .mp3 with 415 not_audio and a clear message, storing nothing", async () => {
    const p = await expectRefused(await upload("c1staff", [{ name: "title", value: "Biên bản" }, file(inputs.fakeMp3)]), 415, "not_audio");
    expect(p.detail).toContain("not a supported audio file");
    expect(p.detailVi).toContain("không phải là tệp âm thanh");
  });

  it("refuses a truncated mp3 as corrupt and 30 s of silence as silent (422)", async () => {
    await expectRefused(await upload("c1staff", [{ name: "title", value: "Cụt" }, file(inputs.truncatedMp3)]), 422, "corrupt");
    const silent = await expectRefused(await upload("c1staff", [{ name: "title", value: "Im lặng" }, file(inputs.silence30s)]), 422, "silent");
    expect(silent.detailVi).toContain("im lặng");
  });

  it("refuses form mistakes with wrong_field and says which field", async () => {
    const wrongName = await expectRefused(await upload("c1staff", [{ name: "title", value: "X" }, file(inputs.mp3, "audio")]), 422, "wrong_field");
    expect(wrongName.detail).toContain('field "file", not "audio"');
    const noFile = await expectRefused(await upload("c1staff", [{ name: "title", value: "X" }]), 422, "wrong_field");
    expect(noFile.detail).toContain("no audio file");
    const two = await expectRefused(await upload("c1staff", [{ name: "title", value: "X" }, file(inputs.mp3), file(inputs.ogg)]), 422, "wrong_field");
    expect(two.detail).toContain("exactly one");
    const noTitle = await expectRefused(await upload("c1staff", [file(inputs.mp3)]), 422, "wrong_field");
    expect(noTitle.errors).toEqual([{ path: "$.title", message: "title: required" }]);
    expect(noTitle.detailVi).toContain("Tiêu đề");
    const longTitle = await expectRefused(await upload("c1staff", [{ name: "title", value: "x".repeat(201) }, file(inputs.mp3)]), 422, "wrong_field");
    expect(longTitle.errors?.[0]?.path).toBe("$.title");
    const codec = await expectRefused(await upload("c1staff", [{ name: "title", value: "X" }, { name: "codec", value: "flac" }, file(inputs.mp3)]), 422, "wrong_field");
    expect(codec.errors?.[0]?.path).toBe("$.codec");
    const extra = await expectRefused(await upload("c1staff", [{ name: "titel", value: "X" }, file(inputs.mp3)]), 422, "wrong_field");
    expect(extra.detail).toContain('unknown field "titel"');
  });

  it("refuses a body that is not multipart, or broken multipart", async () => {
    const cookie = await h.cookie("c1staff");
    const json = await h.req("POST", "/api/v1/bulletins", { cookie, body: { title: "X", file: "aGVsbG8=" } });
    expect(json.status).toBe(422);
    expect(problemOf(json)).toMatchObject({ code: "wrong_field", detail: expect.stringContaining("multipart/form-data") });
    const broken = await h.req("POST", "/api/v1/bulletins", {
      cookie,
      rawBody: '--b\r\nContent-Disposition: form-data; name="title"\r\n\r\nX\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="a.mp3"\r\n\r\nabc',
      headers: { "content-type": "multipart/form-data; boundary=b" },
    });
    await expectRefused(broken, 400, "bad_multipart");
  });

  it("refuses 401 without login, 403 for operators and for areas outside the caller's subtree", async () => {
    const anon = await postForm(h.url, undefined, [{ name: "title", value: "X" }, file(inputs.mp3)]);
    expect(anon.status).toBe(401);
    expect((await upload("c1op", [{ name: "title", value: "X" }, file(inputs.mp3)])).status).toBe(403);
    const outside = await upload("c1staff", [{ name: "title", value: "X" }, { name: "areaId", value: "C2" }, file(inputs.mp3)]);
    expect(outside.status).toBe(403);
    const unknown = await upload("c1staff", [{ name: "title", value: "X" }, { name: "areaId", value: "nowhere" }, file(inputs.mp3)]);
    expect(unknown.status).toBe(422);
    await expectNothingStored();
  });

  it("keeps each commune's bulletins to itself: lists, reads, no one else's", async () => {
    const mine = created(await upload("c1staff", [{ name: "title", value: "Xã Một" }, file(inputs.mp3)]));
    const theirs = created(await upload("c2staff", [{ name: "title", value: "Xã Hai" }, file(inputs.mp3)]));
    const c1List = bodyOf<{ items: BulletinView[] }>(await h.req("GET", "/api/v1/bulletins", { cookie: await h.cookie("c1staff") }));
    expect(c1List.items.map((b) => b.id)).toEqual([mine.id]);
    expect((await h.req("GET", `/api/v1/bulletins/${theirs.id}`, { cookie: await h.cookie("c1staff") })).status).toBe(404);
    expect((await h.req("GET", "/api/v1/bulletins?areaId=C2", { cookie: await h.cookie("c1staff") })).status).toBe(404);
    const all = bodyOf<{ items: BulletinView[] }>(await h.req("GET", "/api/v1/bulletins", { cookie: await h.cookie("root") }));
    expect(all.items.map((b) => b.id).sort()).toEqual([mine.id, theirs.id].sort());
    expect((await h.req("GET", "/api/v1/bulletins")).status).toBe(401);
  });
});

describe.skipIf(!hasEspeak)("bulletin uploads over the size limit", () => {
  let inputs: Inputs;
  let h: BulletinHarness;
  beforeAll(async () => {
    inputs = await makeInputs();
    h = await startBulletinHarness({ media: { maxBytes: 64 * 1024 } });
  });
  afterAll(async () => {
    await h.close();
    const { rm } = await import("node:fs/promises");
    await rm(inputs.dir, { recursive: true, force: true });
  });

  it("answers 413 while the body is still streaming, and keeps nothing", async () => {
    const total = 8 * 1024 * 1024;
    const r = await streamUpload(h.url, await h.cookie("c1staff"), total);
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ code: "too_big", detail: expect.stringContaining("MB"), detailVi: expect.stringContaining("MB") });
    // The server gave up near the limit, long before the 8 MB were sent.
    expect(r.sent).toBeLessThan(1024 * 1024);
    expect(h.catalog.data().bulletins).toEqual([]);
    expect(await ls(h.mediaDir)).toEqual([]);
    expect(await ls(h.spoolDir)).toEqual([]);
  });

  it("answers 413 at once when Content-Length already says too much", async () => {
    const r = await postForm(h.url, await h.cookie("c1staff"), [{ name: "title", value: "X" }, { name: "file", path: inputs.wav }]);
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ code: "too_big" });
    expect(await ls(h.spoolDir)).toEqual([]);
  });

  it("still takes a file under the limit", async () => {
    const r = await postForm(h.url, await h.cookie("c1staff"), [{ name: "title", value: "Nhỏ" }, { name: "file", path: inputs.mp3 }]);
    expect(r.status).toBe(201);
  });
});
