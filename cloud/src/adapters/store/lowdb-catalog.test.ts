/** LowdbCatalog over the real disk and over MemoryFileSystem (ARCHITECTURE §8). */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { SystemClock } from "@loa/shared";
import { emptyCatalog, type FileSystem } from "../../ports/store.js";
import { CatalogCorruptError, CatalogInvalidError, StoreClosedError, StoreWriteError } from "./errors.js";
import { LowdbCatalog } from "./lowdb-catalog.js";
import { errnoError, FS_KINDS, makeFsEnv, sampleDevice, silentLog, type FsEnv } from "./store-test-kit.fixture.js";

const clock = new SystemClock();

function openCatalog(fs: FileSystem, dir: string): Promise<LowdbCatalog> {
  return LowdbCatalog.open({ fs, path: join(dir, "catalog.json"), clock, log: silentLog });
}

async function writeRaw(fs: FileSystem, path: string, body: string): Promise<void> {
  const h = await fs.open(path, "write");
  await h.write(Buffer.from(body));
  await h.sync();
  await h.close();
  await fs.syncDir(join(path, ".."));
}

async function deviceIdsOnDisk(fs: FileSystem, path: string): Promise<string[]> {
  const raw = await fs.readFile(path);
  if (!raw) return [];
  return (JSON.parse(Buffer.from(raw).toString("utf8")) as { devices: { id: string }[] }).devices.map((d) => d.id);
}

describe.each(FS_KINDS)("LowdbCatalog (%s)", (kind) => {
  let env: FsEnv;
  let file: string;
  beforeEach(async () => {
    env = await makeFsEnv(kind);
    file = join(env.dir, "catalog.json");
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("starts empty when there is no file, and a reload sees every update", async () => {
    const cat = await openCatalog(env.fs, env.dir);
    expect(cat.data()).toEqual(emptyCatalog());
    await cat.update((d) => d.devices.push(sampleDevice(1)));
    const id = await cat.update((d) => {
      d.meta.planVersion = { "dev-1": 7 };
      d.areas.push({ id: "village-1", name: "Thôn Một", parentId: null, kind: "village" });
      return d.devices[0]?.id;
    });
    expect(id).toBe("dev-1");
    await cat.close();
    const again = await openCatalog(env.base, env.dir);
    expect(again.data().devices.map((d) => d.id)).toEqual(["dev-1"]);
    expect(again.data().meta).toEqual({ planVersion: { "dev-1": 7 } });
    expect(again.data().areas[0]?.name).toBe("Thôn Một");
  });

  it("batches concurrent updates into fewer durable writes, each promise resolving after its write", async () => {
    const cat = await openCatalog(env.fs, env.dir);
    env.fs.reset();
    const n = 50;
    const seenOnDiskAtResolve: boolean[] = [];
    const all = Array.from({ length: n }, (_, i) =>
      cat
        .update((d) => d.devices.push(sampleDevice(i)))
        .then(async () => {
          seenOnDiskAtResolve[i] = (await deviceIdsOnDisk(env.base, file)).includes(`dev-${i}`);
        }),
    );
    await Promise.all(all);
    expect(seenOnDiskAtResolve.filter(Boolean)).toHaveLength(n);
    const renames = env.fs.count("rename");
    expect(renames).toBeGreaterThanOrEqual(1);
    expect(renames).toBeLessThanOrEqual(2);
    expect(env.fs.count("sync")).toBe(renames);
    expect(env.fs.count("syncDir")).toBe(renames);
    expect(cat.writes).toBe(renames);
    expect((await deviceIdsOnDisk(env.base, file)).sort()).toEqual(Array.from({ length: n }, (_, i) => `dev-${i}`).sort());
    // Updates issued while a write is in flight go out together in the next one.
    const first = cat.update((d) => d.devices.push(sampleDevice(100)));
    await new Promise((r) => setImmediate(r));
    const later = Array.from({ length: 10 }, (_, i) => cat.update((d) => d.devices.push(sampleDevice(200 + i))));
    await Promise.all([first, ...later]);
    expect(cat.writes - renames).toBe(2);
    await cat.close();
  });

  it("applies nothing when the change throws, without disturbing concurrent updates", async () => {
    const cat = await openCatalog(env.fs, env.dir);
    await cat.update((d) => d.devices.push(sampleDevice(1)));
    const before = structuredClone(cat.data());
    env.fs.reset();
    const ok = cat.update((d) => d.devices.push(sampleDevice(2)));
    const bad = cat.update((d) => {
      d.devices.push(sampleDevice(3));
      d.devices.splice(0, 1);
      throw new Error("boom");
    });
    await expect(bad).rejects.toThrow("boom");
    await ok;
    expect(cat.data().devices.map((d) => d.id)).toEqual(["dev-1", "dev-2"]);
    expect(before.devices.map((d) => d.id)).toEqual(["dev-1"]);
    await cat.close();
    expect(await deviceIdsOnDisk(env.base, file)).toEqual(["dev-1", "dev-2"]);
  });

  it("refuses a change that would not load again, and an async change", async () => {
    const cat = await openCatalog(env.fs, env.dir);
    env.fs.reset();
    const bad = cat.update((d) => d.devices.push({ ...sampleDevice(1), id: "has spaces!" }));
    await expect(bad).rejects.toBeInstanceOf(CatalogInvalidError);
    await expect(bad).rejects.toThrow(/devices\.0\.id/);
    await expect(cat.update(async (d) => d.devices.push(sampleDevice(2)))).rejects.toThrow(/synchronous/);
    expect(cat.data().devices).toEqual([]);
    expect(env.fs.count("open")).toBe(0);
    await cat.close();
  });

  it("refuses a corrupt file with an error naming it, and leaves the file as it was", async () => {
    const garbage = '{"areas": [], "devi';
    await writeRaw(env.base, file, garbage);
    const err = await openCatalog(env.base, env.dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CatalogCorruptError);
    expect((err as CatalogCorruptError).code).toBe("store_catalog_corrupt");
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/not valid JSON/);
    expect(Buffer.from((await env.base.readFile(file))!).toString()).toBe(garbage);
    expect(await env.base.list(env.dir)).toEqual(["catalog.json"]);
  });

  it("refuses a well-formed file that breaks the schema, saying where", async () => {
    const bad = { ...emptyCatalog(), users: [{ id: "u1", username: "Admin", role: "root" }] };
    await writeRaw(env.base, file, JSON.stringify(bad));
    const err = await openCatalog(env.base, env.dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CatalogCorruptError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/users\.0\./);
  });

  it("removes temp files a crash left behind, and keeps other files", async () => {
    await writeRaw(env.base, join(env.dir, "catalog.json.tmp-4242-7"), '{"half');
    await writeRaw(env.base, join(env.dir, "notes.txt"), "keep me");
    const cat = await openCatalog(env.fs, env.dir);
    expect((await env.base.list(env.dir)).sort()).toEqual(["notes.txt"]);
    await cat.update((d) => d.devices.push(sampleDevice(1)));
    expect((await env.base.list(env.dir)).sort()).toEqual(["catalog.json", "notes.txt"]);
    await cat.close();
  });

  it("rolls back and rejects when the disk write fails, then works again", async () => {
    const cat = await openCatalog(env.fs, env.dir);
    await cat.update((d) => d.devices.push(sampleDevice(1)));
    env.fs.fault = (r) => (r.op === "sync" ? errnoError("ENOSPC") : undefined);
    const failing = [cat.update((d) => d.devices.push(sampleDevice(2))), cat.update((d) => d.devices.push(sampleDevice(3)))];
    expect(cat.data().devices).toHaveLength(3); // visible until the write fails
    for (const p of failing) await expect(p).rejects.toBeInstanceOf(StoreWriteError);
    expect(cat.data().devices.map((d) => d.id)).toEqual(["dev-1"]);
    expect((await env.base.list(env.dir)).sort()).toEqual(["catalog.json"]); // the temp file was removed
    env.fs.fault = undefined;
    await cat.update((d) => d.devices.push(sampleDevice(4)));
    await cat.close();
    expect(await deviceIdsOnDisk(env.base, file)).toEqual(["dev-1", "dev-4"]);
  });

  it("close flushes pending updates; later updates are refused", async () => {
    const cat = await openCatalog(env.fs, env.dir);
    const pending = cat.update((d) => d.devices.push(sampleDevice(1)));
    await cat.close();
    await pending;
    expect(await deviceIdsOnDisk(env.base, file)).toEqual(["dev-1"]);
    await expect(cat.update((d) => d.devices.push(sampleDevice(2)))).rejects.toBeInstanceOf(StoreClosedError);
  });
});
