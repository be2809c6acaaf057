import { describe, expect, it } from "vitest";
import { FakeClock } from "@loa/shared";
import { pino } from "pino";
import { Writable } from "node:stream";
import { MemoryFileSystem, openStore } from "../../adapters/store/index.js";
import type { Catalog } from "../../ports/store.js";
import { bootstrapAdmin } from "./bootstrap.js";
import { verifyPassword } from "./password.js";

const cheap = { N: 1024, r: 8, p: 1 };

/** The real catalogue (it validates every record against the model) over an in-memory file system. */
async function newCatalog(): Promise<Catalog> {
  return (await openStore({ dataDir: "/data", fs: new MemoryFileSystem() })).catalog;
}

function capturingLogger() {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => { lines.push(chunk.toString()); done(); } });
  return { log: pino({ level: "info" }, sink), lines };
}

describe("bootstrapAdmin", () => {
  it("creates a root province and admin with a generated password, logged once and returned", async () => {
    const catalog = await newCatalog();
    const { log, lines } = capturingLogger();
    const r = await bootstrapAdmin({ catalog, clock: new FakeClock(), log, passwordCost: cheap });
    if (!r.created) throw new Error("expected creation");
    expect(r.generated).toBe(true);
    expect(r.password).toMatch(/^[A-Za-z2-9]{20}$/);
    expect(catalog.data().areas).toEqual([{ id: r.areaId, name: "Tỉnh", parentId: null, kind: "province" }]);
    const admin = catalog.data().users[0];
    expect(admin).toMatchObject({ username: "admin", role: "admin", areaId: r.areaId });
    expect(admin && (await verifyPassword(r.password, admin.passwordHash))).toBe(true);
    expect(lines.join("")).toContain(r.password);
    // Second start: nothing happens, nothing printed.
    const again = await bootstrapAdmin({ catalog, clock: new FakeClock(), log, passwordCost: cheap });
    expect(again).toEqual({ created: false });
    expect(lines.join("").split(r.password)).toHaveLength(2);
  });

  it("uses LOA_ADMIN_PASSWORD, never logs it, and reuses an existing root area", async () => {
    const catalog = await newCatalog();
    await catalog.update((d) => d.areas.push({ id: "P", name: "Tỉnh Lào Cai", parentId: null, kind: "province" }));
    const { log, lines } = capturingLogger();
    const r = await bootstrapAdmin({ catalog, clock: new FakeClock(), log, adminPassword: "from-the-env-123", rootAreaName: "ignored", passwordCost: cheap });
    expect(r).toMatchObject({ created: true, generated: false, password: "from-the-env-123", areaId: "P" });
    expect(catalog.data().areas).toHaveLength(1);
    expect(lines.join("")).not.toContain("from-the-env-123");
  });
});
