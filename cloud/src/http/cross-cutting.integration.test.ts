/**
 * Access rules on every route of the full cloud (ARCHITECTURE §7), in the serial group: it starts the whole
 * cloud in this process (embedded broker, ffmpeg for an upload), too heavy for the parallel unit group. The
 * core app's shared rules on the in-memory harness are in cross-cutting.test.ts.
 */
import { readFile, rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bodyOf, replyOf, type Reply } from "./harness.fixture.js";
import { loginCookie } from "../../../test/support/login.js";
import { startCloudInProcess, type InProcessCloud } from "../../../test/support/cloud-process.js";
import { generateTone } from "../adapters/ffmpeg/tone.js";

/**
 * The full cloud as loa-cloud assembles it (startCloud: bulletins, stream and delivery's broadcasts, plays and
 * report routes too). Routes come from its OpenAPI document, which is generated from the same route table that
 * registers them, so a new route is covered without editing this file (only the scope table below must name a
 * body or a resource for it, and the test says so when it is missing).
 */
describe("every route of the full cloud", () => {
  type Op = { method: string; path: string; guarded: boolean; hasBody: boolean };
  let full: InProcessCloud;
  let ops: Op[] = [];
  const fetchAs = async (method: string, path: string, o: { cookie?: string; bearer?: string; body?: unknown } = {}): Promise<Reply> => {
    const headers: Record<string, string> = o.body !== undefined ? { "content-type": "application/json" } : {};
    if (o.cookie) headers.cookie = o.cookie;
    if (o.bearer !== undefined) headers.authorization = `Bearer ${o.bearer}`;
    return replyOf(await fetch(full.cloud.httpUrl + path, { method, headers, ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}) }));
  };

  beforeAll(async () => {
    full = await startCloudInProcess();
    const doc = bodyOf<{ paths: Record<string, Record<string, { security: unknown[]; requestBody?: unknown }>> }>(await fetchAs("GET", "/api/v1/openapi.json"));
    ops = Object.entries(doc.paths).flatMap(([path, byMethod]) =>
      Object.entries(byMethod).map(([method, op]) => ({ method: method.toUpperCase(), path, guarded: op.security.length > 0, hasBody: op.requestBody !== undefined })),
    );
  });
  afterAll(async () => {
    await full?.close();
  });

  it("lists the routes of every module, not only the core ones", () => {
    const names = ops.map((o) => `${o.method} ${o.path}`);
    expect(names).toEqual(expect.arrayContaining(FULL_APP_ROUTES));
    expect(ops.filter((o) => !o.guarded).map((o) => `${o.method} ${o.path}`).sort()).toEqual(PUBLIC_ROUTES);
  });

  it("answers 401 problem+json without credentials and with a wrong bearer token", async () => {
    const guarded = ops.filter((o) => o.guarded);
    expect(guarded.length).toBeGreaterThanOrEqual(FULL_APP_ROUTES.length);
    const wrong = ["loa_" + "A".repeat(43), "not-a-token"];
    for (const o of guarded) {
      for (const bearer of [undefined, ...wrong]) {
        const res = await fetchAs(o.method, openApiConcrete(o.path), { ...(o.hasBody ? { body: {} } : {}), ...(bearer !== undefined ? { bearer } : {}) });
        const what = `${o.method} ${o.path} bearer=${bearer ?? "none"}`;
        expect([what, res.status, res.headers.get("content-type")]).toEqual([what, 401, expect.stringMatching(/^application\/problem\+json/)]);
        expect(res.json).toMatchObject({ status: 401, code: expect.any(String), detail: expect.any(String) });
      }
    }
  });

  it("a commune admin touching another commune's resources: reads 404, writes 403, nothing changes", async () => {
    const admin = await loginCookie(full.cloud.httpUrl, "admin", full.adminPassword);
    const ids = await seedOtherCommune(fetchAs, full.cloud.httpUrl, admin);
    const before = await snapshot(fetchAs, admin, ids);
    const actor = await loginCookie(full.cloud.httpUrl, "c2admin", OTHER_PASSWORD);
    const scoped = ops.filter((o) => o.guarded && o.path.includes("{"));
    expect(scoped.length).toBeGreaterThanOrEqual(18);
    for (const o of scoped) {
      const key = `${o.method} ${o.path}`;
      const path = o.path.replace(/\{(\w+)\}/g, (_m, name: string) => (name === "id" ? ids[o.path.split("/")[3] ?? ""] : ids[name]) ?? `{no seeded resource for ${name}}`);
      expect(path, `${key}: add its resource to seedOtherCommune`).not.toContain("{");
      if (o.hasBody) expect(SCOPE_BODIES, `${key}: add a valid body to SCOPE_BODIES`).toHaveProperty([key]);
      const res = await fetchAs(o.method, path, { cookie: actor, ...(o.hasBody ? { body: SCOPE_BODIES[key] } : {}) });
      const expected = o.method === "GET" || WRITES_ANSWERING_404.includes(key) ? 404 : 403;
      expect([key, res.status, res.headers.get("content-type")]).toEqual([key, expected, expect.stringMatching(/^application\/problem\+json/)]);
    }
    for (const [key, body] of Object.entries(scopedCreates(ids))) {
      const [method = "", path = ""] = key.split(" ");
      expect([key, (await fetchAs(method, path, { cookie: actor, body })).status]).toEqual([key, 403]);
    }
    expect(await snapshot(fetchAs, admin, ids)).toEqual(before);
  });
});

type FetchAs = (method: string, path: string, o?: { cookie?: string; bearer?: string; body?: unknown }) => Promise<Reply>;

/** OpenAPI path → a concrete one (`/api/v1/devices/{id}` → `/api/v1/devices/x`). */
const openApiConcrete = (path: string) => path.replace(/\{\w+\}/g, "x");

/** Routes mounted only by the full cloud (bulletins, stream, delivery), beside the core ones (ARCHITECTURE §7). */
const FULL_APP_ROUTES = [
  "GET /api/v1/bulletins", "POST /api/v1/bulletins", "POST /api/v1/bulletins/tts", "GET /api/v1/bulletins/{id}",
  "DELETE /api/v1/bulletins/{id}", "GET /api/v1/bulletins/{id}/audio",
  "GET /api/v1/broadcasts", "POST /api/v1/broadcasts", "GET /api/v1/broadcasts/{id}", "PATCH /api/v1/broadcasts/{id}",
  "GET /api/v1/plays", "GET /api/v1/reports/plays.csv", "GET /api/v1/stream",
  "POST /api/v1/tokens", "GET /api/v1/tokens", "DELETE /api/v1/tokens/{id}",
  "POST /api/v1/devices/{id}/commands", "GET /api/v1/devices/{id}/commands/{cmdId}",
  "GET /api/v1/areas", "GET /api/v1/users", "GET /api/v1/devices", "GET /api/v1/me",
];

/** The only routes without a login (docs/api.md). */
const PUBLIC_ROUTES = ["GET /api/v1/openapi.json", "GET /healthz", "POST /api/v1/auth/login", "POST /api/v1/auth/logout"].sort();

/**
 * Writes that answer 404 outside the caller's reach. API tokens belong to a user, not an area: someone
 * else's token does not exist for the caller.
 */
const WRITES_ANSWERING_404 = ["DELETE /api/v1/tokens/{id}"];

const OTHER_PASSWORD = "quan-tri-xa-hai-2";

/** Valid bodies, so a refusal is the scope's and not the schema's (422 comes before any lookup). */
const SCOPE_BODIES: Record<string, unknown> = {
  "PATCH /api/v1/areas/{id}": { name: "Đổi tên" },
  "PATCH /api/v1/users/{id}": { displayName: "Đổi tên" },
  "PATCH /api/v1/devices/{id}": { name: "Đổi tên" },
  "POST /api/v1/devices/{id}/commands": { type: "set_volume", args: { volume: 50 } },
  "PATCH /api/v1/broadcasts/{id}": { status: "paused" },
};

/** Creating something inside the other commune is a write there too. */
function scopedCreates(ids: Record<string, string>): Record<string, unknown> {
  return {
    "POST /api/v1/areas": { name: "Thôn Mới", parentId: ids.commune, kind: "village" },
    "POST /api/v1/users": { username: "intruder", password: "intruder-pass-1", role: "staff", areaId: ids.commune },
    "POST /api/v1/devices": { name: "Loa lạ", areaId: ids.areas },
  };
}

/**
 * As the root admin: communes C1 and C2, and in C1 (village V1) one of everything a route can point at;
 * `c2admin` administers C2. Keys: the collection of a route's `{id}` (`devices`), or the parameter's name.
 */
async function seedOtherCommune(fetchAs: FetchAs, baseUrl: string, admin: string): Promise<Record<string, string>> {
  const post = async (path: string, body: unknown, cookie = admin): Promise<Record<string, unknown>> => {
    const r = await fetchAs("POST", path, { cookie, body });
    if (r.status !== 201 && r.status !== 202) throw new Error(`seed POST ${path}: ${r.status} ${r.text}`);
    return bodyOf<Record<string, unknown>>(r);
  };
  const root = bodyOf<{ user: { areaId: string } }>(await fetchAs("GET", "/api/v1/me", { cookie: admin })).user.areaId;
  const c1 = (await post("/api/v1/areas", { name: "Xã Một", parentId: root, kind: "commune" })).id as string;
  const c2 = (await post("/api/v1/areas", { name: "Xã Hai", parentId: root, kind: "commune" })).id as string;
  const v1 = (await post("/api/v1/areas", { name: "Thôn Một", parentId: c1, kind: "village" })).id as string;
  const staff = (await post("/api/v1/users", { username: "c1staff", password: OTHER_PASSWORD, role: "staff", areaId: c1 })).id as string;
  await post("/api/v1/users", { username: "c2admin", password: OTHER_PASSWORD, role: "admin", areaId: c2 });
  const device = ((await post("/api/v1/devices", { name: "Loa 1", areaId: v1 })).device as { id: string }).id;
  const cmdId = (await post(`/api/v1/devices/${device}/commands`, { type: "set_volume", args: { volume: 60 } })).cmdId as string;
  const bulletin = await uploadTone(baseUrl, admin, c1);
  const at = new Date(Date.now() + 86_400_000).toISOString();
  const broadcast = ((await post("/api/v1/broadcasts", { bulletinId: bulletin, targets: { areaIds: [v1], deviceIds: [] }, priority: "normal", when: { at } })).broadcast as { id: string }).id;
  const staffCookie = await loginCookie(baseUrl, "c1staff", OTHER_PASSWORD);
  const token = (await post("/api/v1/tokens", { name: "script" }, staffCookie)).id as string;
  return { commune: c1, areas: v1, users: staff, devices: device, cmdId, bulletins: bulletin, broadcasts: broadcast, tokens: token, staffCookie };
}

/** A 2 s tone uploaded as a bulletin of `areaId` (multipart, as the panel sends it); its id. */
async function uploadTone(baseUrl: string, cookie: string, areaId: string): Promise<string> {
  const wav = await generateTone({ durationMs: 2000 });
  try {
    const form = new FormData();
    form.set("title", "Thông báo xã Một");
    form.set("areaId", areaId);
    form.set("file", new Blob([await readFile(wav)], { type: "audio/wav" }), "tone.wav");
    const r = await replyOf(await fetch(`${baseUrl}/api/v1/bulletins`, { method: "POST", headers: { cookie }, body: form }));
    if (r.status !== 201) throw new Error(`upload: ${r.status} ${r.text}`);
    return bodyOf<{ bulletin: { id: string } }>(r).bulletin.id;
  } finally {
    await rm(wav, { force: true });
  }
}

/** Everything the root admin (and the token's owner) sees of the seeded resources, to prove nothing changed. */
async function snapshot(fetchAs: FetchAs, admin: string, ids: Record<string, string>): Promise<unknown[]> {
  const paths = [
    "/api/v1/areas",
    "/api/v1/users",
    "/api/v1/devices",
    `/api/v1/devices/${ids.devices}/commands/${ids.cmdId}`,
    `/api/v1/bulletins/${ids.bulletins}`,
    `/api/v1/broadcasts/${ids.broadcasts}`,
  ];
  const seen: unknown[] = [];
  for (const path of paths) seen.push([path, (await fetchAs("GET", path, { cookie: admin })).json]);
  seen.push(["tokens of c1staff", (await fetchAs("GET", "/api/v1/tokens", { cookie: ids.staffCookie })).json]);
  return seen;
}
