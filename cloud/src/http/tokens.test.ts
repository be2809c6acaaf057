import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readAudit } from "../core/audit.js";
import { sha256Hex } from "../core/auth/secrets.js";
import { bodyOf, startHarness, type Harness } from "./harness.fixture.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

interface Created {
  id: string;
  name: string;
  token: string;
}

describe("API tokens", () => {
  it("creates a token shown once, stores only its sha256, and authenticates Bearer requests as the user", async () => {
    const cookie = await h.login("c1op");
    const r = await h.req("POST", "/api/v1/tokens", { cookie, body: { name: "fleet script" } });
    expect(r.status).toBe(201);
    const created = bodyOf<Created>(r);
    expect(created.token).toMatch(/^loa_[A-Za-z0-9_-]{43}$/);
    expect(created.name).toBe("fleet script");
    const stored = h.catalog.data().tokens.find((t) => t.id === created.id);
    expect(stored?.tokenHash).toBe(sha256Hex(created.token));
    expect(JSON.stringify(h.catalog.data())).not.toContain(created.token);

    const me = await h.req("GET", "/api/v1/me", { bearer: created.token });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ user: { username: "c1op" }, via: "token" });

    const list = await h.req("GET", "/api/v1/tokens", { bearer: created.token });
    expect(list.status).toBe(200);
    expect(list.json).toEqual({ items: [{ id: created.id, name: "fleet script", createdAt: "2026-01-01T08:00:00.000Z", lastUsedAt: "2026-01-01T08:00:00.000Z" }] });
    expect(list.text).not.toContain(created.token);
    expect(list.text).not.toContain(stored?.tokenHash);
  });

  it("a revoked or unknown token answers 401 with a reason, even with a valid cookie beside it", async () => {
    const cookie = await h.login("c1op");
    const { id, token } = bodyOf<Created>(await h.req("POST", "/api/v1/tokens", { cookie, body: { name: "t" } }));
    const del = await h.req("DELETE", `/api/v1/tokens/${id}`, { cookie });
    expect(del.status).toBe(204);
    const after = await h.req("GET", "/api/v1/me", { bearer: token, cookie });
    expect(after.status).toBe(401);
    expect(after.json).toMatchObject({ detail: expect.stringContaining("API token is not valid") });
    expect((await h.req("GET", "/api/v1/me", { bearer: "loa_made-up" })).status).toBe(401);
    expect((await h.req("GET", "/api/v1/me", { bearer: "" })).status).toBe(401);
  });

  it("users see and delete only their own tokens", async () => {
    const a = await h.login("c1op");
    const b = await h.login("c2op");
    const { id } = bodyOf<Created>(await h.req("POST", "/api/v1/tokens", { cookie: a, body: { name: "mine" } }));
    expect(bodyOf<{ items: unknown[] }>(await h.req("GET", "/api/v1/tokens", { cookie: b })).items).toEqual([]);
    const del = await h.req("DELETE", `/api/v1/tokens/${id}`, { cookie: b });
    expect(del.status).toBe(404);
    expect(h.catalog.data().tokens).toHaveLength(1);
  });

  it("validates the name (422) and needs a login (401)", async () => {
    const cookie = await h.login("c1op");
    const bad = await h.req("POST", "/api/v1/tokens", { cookie, body: { name: "   " } });
    expect(bad.status).toBe(422);
    expect(bad.json).toMatchObject({ code: "invalid_body", errors: [{ path: "$.name" }] });
    expect((await h.req("POST", "/api/v1/tokens", { body: { name: "x" } })).status).toBe(401);
    expect((await h.req("GET", "/api/v1/tokens")).status).toBe(401);
    expect((await h.req("DELETE", "/api/v1/tokens/tok_x")).status).toBe(401);
  });

  it("audits creation and revocation without the secret", async () => {
    const cookie = await h.login("c1op");
    const { id, token } = bodyOf<Created>(await h.req("POST", "/api/v1/tokens", { cookie, body: { name: "t" } }));
    await h.req("DELETE", `/api/v1/tokens/${id}`, { cookie });
    const audit = await readAudit(h.journal, (e) => e.action.startsWith("token."));
    expect(audit.map((e) => [e.action, e.target.id, e.who.username])).toEqual([
      ["token.create", id, "c1op"],
      ["token.delete", id, "c1op"],
    ]);
    expect(JSON.stringify(audit)).not.toContain(token);
  });
});
