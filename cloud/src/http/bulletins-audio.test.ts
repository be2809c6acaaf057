/**
 * A bulletin's audio and its deletion (ARCHITECTURE §7 `GET /api/v1/bulletins/:id/audio`,
 * `DELETE /api/v1/bulletins/:id`): exact bytes, Range (206/416), ETag = sha256, scoping, the 409 while a
 * broadcast uses it, and a shared media file kept until its last bulletin goes.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Broadcast, BulletinView } from "@loa/shared";
import { requireTool } from "../../../test/support/tools.js";
import { readAudit } from "../core/audit.js";
import { bodyOf } from "./harness.fixture.js";
import { ls, makeInputs, postForm, startBulletinHarness, type BulletinHarness, type Inputs } from "./bulletins.fixture.js";
import { mediaPathOf, parseRange } from "./routes/bulletins.js";

const hasEspeak = requireTool("espeak-ng");

describe("parseRange (RFC 9110 §14, one range)", () => {
  it.each([
    [undefined, { kind: "whole" }],
    ["bytes=0-99", { kind: "part", start: 0, end: 99 }],
    ["bytes=100-", { kind: "part", start: 100, end: 999 }],
    ["bytes=-50", { kind: "part", start: 950, end: 999 }],
    ["bytes=-5000", { kind: "part", start: 0, end: 999 }],
    ["bytes=990-5000", { kind: "part", start: 990, end: 999 }],
    ["bytes=999-999", { kind: "part", start: 999, end: 999 }],
    ["bytes=1000-", { kind: "unsatisfiable" }],
    ["bytes=-0", { kind: "unsatisfiable" }],
    ["bytes=50-10", { kind: "unsatisfiable" }],
    ["bytes=0-9,20-29", { kind: "whole" }],
    ["items=0-9", { kind: "whole" }],
    ["bytes=abc", { kind: "whole" }],
  ] as const)("%s of 1000 bytes → %o", (header, expected) => {
    expect(parseRange(header, 1000)).toEqual(expected);
  });
});

const created = (r: { json: unknown }) => bodyOf<{ bulletin: BulletinView }>(r).bulletin;

describe.skipIf(!hasEspeak)("bulletin audio and deletion", () => {
  let inputs: Inputs;
  let h: BulletinHarness;
  beforeAll(async () => {
    inputs = await makeInputs();
  });
  afterAll(async () => {
    if (inputs) await rm(inputs.dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    h = await startBulletinHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  async function uploaded(user: string, title: string, path = inputs.wav, codec?: string): Promise<BulletinView> {
    const parts = [{ name: "title", value: title }, ...(codec ? [{ name: "codec", value: codec }] : []), { name: "file", path }];
    const r = await postForm(h.url, await h.cookie(user), parts);
    expect(r.status).toBe(201);
    return created(r);
  }

  async function get(path: string, user: string | undefined, headers: Record<string, string> = {}) {
    const res = await fetch(h.url + path, { headers: { ...headers, ...(user ? { cookie: await h.cookie(user) } : {}) } });
    return { res, bytes: Buffer.from(await res.arrayBuffer()) };
  }

  it("serves the exact stored bytes with type, length, ranges, ETag and cache headers", async () => {
    const b = await uploaded("c1staff", "Loa");
    const file = await readFile(join(h.mediaDir, `${b.sha256}.opus`));
    const whole = await get(b.audioUrl, "c1op");
    expect(whole.res.status).toBe(200);
    expect(whole.res.headers.get("content-type")).toMatch(/^audio\/ogg/);
    expect(whole.res.headers.get("content-length")).toBe(String(b.bytes));
    expect(whole.res.headers.get("accept-ranges")).toBe("bytes");
    expect(whole.res.headers.get("etag")).toBe(`"${b.sha256}"`);
    expect(whole.res.headers.get("cache-control")).toContain("private");
    expect(whole.bytes.equals(file)).toBe(true);

    const first = await get(b.audioUrl, "c1staff", { range: "bytes=0-99" });
    expect(first.res.status).toBe(206);
    expect(first.res.headers.get("content-range")).toBe(`bytes 0-99/${b.bytes}`);
    expect(first.res.headers.get("content-length")).toBe("100");
    expect(first.bytes.equals(file.subarray(0, 100))).toBe(true);
    const rest = await get(b.audioUrl, "c1staff", { range: "bytes=1000-" });
    expect(rest.res.status).toBe(206);
    expect(rest.bytes.equals(file.subarray(1000))).toBe(true);
    const tail = await get(b.audioUrl, "c1staff", { range: "bytes=-64" });
    expect(tail.res.headers.get("content-range")).toBe(`bytes ${b.bytes - 64}-${b.bytes - 1}/${b.bytes}`);
    expect(tail.bytes.equals(file.subarray(b.bytes - 64))).toBe(true);

    const beyond = await get(b.audioUrl, "c1staff", { range: `bytes=${b.bytes}-` });
    expect(beyond.res.status).toBe(416);
    expect(beyond.res.headers.get("content-range")).toBe(`bytes */${b.bytes}`);
    expect(JSON.parse(beyond.bytes.toString("utf8"))).toMatchObject({ code: "range_not_satisfiable" });

    const cached = await get(b.audioUrl, "c1staff", { "if-none-match": `"${b.sha256}"` });
    expect(cached.res.status).toBe(304);
    expect(cached.bytes.length).toBe(0);
    const staleIfRange = await get(b.audioUrl, "c1staff", { range: "bytes=0-9", "if-range": '"other"' });
    expect(staleIfRange.res.status).toBe(200);
    const head = await fetch(h.url + b.audioUrl, { method: "HEAD", headers: { cookie: await h.cookie("c1staff") } });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(b.bytes));
  });

  it("serves MP3 as audio/mpeg; the media locator finds files by sha256 and nothing else", async () => {
    const b = await uploaded("c1staff", "MP3", inputs.mp3, "mp3");
    const r = await get(b.audioUrl, "c1staff");
    expect(r.res.headers.get("content-type")).toBe("audio/mpeg");
    expect(await mediaPathOf(h.mediaDir, b.sha256)).toBe(join(h.mediaDir, `${b.sha256}.mp3`));
    expect(await mediaPathOf(h.mediaDir, "0".repeat(64))).toBeUndefined();
    expect(await mediaPathOf(h.mediaDir, "../../etc/passwd")).toBeUndefined();
  });

  it("scopes the audio: 401 anonymous, 404 for another commune, 500 with a message when the file is gone", async () => {
    const b = await uploaded("c1staff", "Riêng xã Một");
    expect((await get(b.audioUrl, undefined)).res.status).toBe(401);
    expect((await get(b.audioUrl, "c2staff")).res.status).toBe(404);
    expect((await get("/api/v1/bulletins/bul_nope/audio", "c1staff")).res.status).toBe(404);
    await rm(join(h.mediaDir, `${b.sha256}.opus`));
    const gone = await get(b.audioUrl, "c1staff");
    expect(gone.res.status).toBe(500);
    expect(JSON.parse(gone.bytes.toString("utf8"))).toMatchObject({ code: "media_missing", detail: expect.stringContaining(b.id) });
  });

  function broadcastOf(bulletinId: string, id: string, status: Broadcast["status"]): Broadcast {
    return {
      id,
      bulletinId,
      targets: { areaIds: ["C1"], deviceIds: [] },
      priority: "normal",
      when: { at: "2026-01-02T01:00:00.000Z" },
      status,
      areaId: "C1",
      createdBy: "u_c1staff",
      createdAt: "2026-01-01T08:00:00.000Z",
    };
  }

  it("refuses to delete while an active or paused broadcast uses it, then deletes and audits", async () => {
    const b = await uploaded("c1staff", "Đang phát");
    await h.catalog.update((d) => {
      d.broadcasts.push(broadcastOf(b.id, "bc_active", "active"), broadcastOf(b.id, "bc_paused", "paused"), broadcastOf(b.id, "bc_done", "done"));
    });
    const cookie = await h.cookie("c1staff");
    const refused = await h.req("DELETE", `/api/v1/bulletins/${b.id}`, { cookie });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ code: "conflict", detail: expect.stringContaining("bc_active, bc_paused"), detailVi: expect.stringContaining("lịch phát") });
    expect(h.catalog.data().bulletins).toHaveLength(1);
    expect(await ls(h.mediaDir)).toEqual([`${b.sha256}.opus`]);

    await h.catalog.update((d) => {
      for (const x of d.broadcasts) x.status = "cancelled";
    });
    expect((await h.req("DELETE", `/api/v1/bulletins/${b.id}`, { cookie })).status).toBe(204);
    expect(h.catalog.data().bulletins).toEqual([]);
    expect(await ls(h.mediaDir)).toEqual([]);
    expect((await h.req("GET", `/api/v1/bulletins/${b.id}`, { cookie })).status).toBe(404);
    const audit = await readAudit(h.journal, (e) => e.action === "bulletin.delete");
    expect(audit).toMatchObject([{ who: { username: "c1staff" }, target: { id: b.id }, details: { mediaDeleted: true } }]);
  });

  it("keeps a media file while another bulletin shares it", async () => {
    const a = await uploaded("c1staff", "Bản A");
    const b = await uploaded("c1admin", "Bản B");
    expect(b.sha256).toBe(a.sha256);
    const cookie = await h.cookie("c1staff");
    expect((await h.req("DELETE", `/api/v1/bulletins/${a.id}`, { cookie })).status).toBe(204);
    expect(await ls(h.mediaDir)).toEqual([`${a.sha256}.opus`]);
    expect((await get(b.audioUrl, "c1staff")).res.status).toBe(200);
    expect((await h.req("DELETE", `/api/v1/bulletins/${b.id}`, { cookie })).status).toBe(204);
    expect(await ls(h.mediaDir)).toEqual([]);
  });

  it("lets only staff/admin of the bulletin's subtree delete it", async () => {
    const b = await uploaded("c1staff", "Của xã Một");
    expect((await h.req("DELETE", `/api/v1/bulletins/${b.id}`)).status).toBe(401);
    expect((await h.req("DELETE", `/api/v1/bulletins/${b.id}`, { cookie: await h.cookie("c1op") })).status).toBe(403);
    expect((await h.req("DELETE", `/api/v1/bulletins/${b.id}`, { cookie: await h.cookie("c2staff") })).status).toBe(403);
    expect((await h.req("DELETE", `/api/v1/bulletins/${b.id}`, { cookie: await h.cookie("c2admin") })).status).toBe(403);
    expect(h.catalog.data().bulletins).toHaveLength(1);
    expect((await h.req("DELETE", `/api/v1/bulletins/${b.id}`, { cookie: await h.cookie("root") })).status).toBe(204);
  });
});
