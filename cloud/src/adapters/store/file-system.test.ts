/** The FileSystem port's contract, run against the real disk and the in-memory fake alike. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { FS_KINDS, makeFsEnv, type FsEnv } from "./store-test-kit.fixture.js";

const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString("utf8"));

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(Buffer.from(c));
  return Buffer.concat(parts).toString("utf8");
}

describe.each(FS_KINDS)("FileSystem contract (%s)", (kind) => {
  let env: FsEnv;
  beforeEach(async () => {
    env = await makeFsEnv(kind);
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("reports a missing file as undefined, not an error", async () => {
    const p = join(env.dir, "nope.json");
    expect(await env.base.readFile(p)).toBeUndefined();
    expect(await env.base.size(p)).toBeUndefined();
    expect(await env.base.list(join(env.dir, "no-dir"))).toEqual([]);
    await env.base.remove(p); // already gone: no error
  });

  it("write mode truncates, append mode appends, readAt and size see the bytes", async () => {
    const p = join(env.dir, "f.txt");
    let h = await env.base.open(p, "write");
    await h.write(Buffer.from("hello world"));
    await h.sync();
    await h.close();
    h = await env.base.open(p, "write");
    await h.write(Buffer.from("abc"));
    await h.close();
    expect(text(await env.base.readFile(p))).toBe("abc");
    h = await env.base.open(p, "append");
    await h.write(Buffer.from("def"));
    await h.write(Buffer.from("\n"));
    await h.close();
    expect(text(await env.base.readFile(p))).toBe("abcdef\n");
    expect(await env.base.size(p)).toBe(7);
    expect(text(await env.base.readAt(p, 6, 1))).toBe("\n");
    expect(text(await env.base.readAt(p, 5, 10))).toBe("f\n");
  });

  it("opening a file in a missing directory fails", async () => {
    await expect(env.base.open(join(env.dir, "missing", "f"), "append")).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("rename replaces the target; list shows names; mkdirp makes parents", async () => {
    const a = join(env.dir, "a.tmp");
    const b = join(env.dir, "b.json");
    for (const [p, body] of [[a, "new"], [b, "old"]] as const) {
      const h = await env.base.open(p, "write");
      await h.write(Buffer.from(body));
      await h.close();
    }
    await env.base.rename(a, b);
    await env.base.syncDir(env.dir);
    expect(text(await env.base.readFile(b))).toBe("new");
    expect(await env.base.readFile(a)).toBeUndefined();
    await env.base.mkdirp(join(env.dir, "x", "y"));
    expect((await env.base.list(env.dir)).sort()).toEqual(["b.json", "x"]);
    expect(await env.base.list(join(env.dir, "x"))).toEqual(["y"]);
  });

  it("readChunks streams the whole file in order", async () => {
    const p = join(env.dir, "big.txt");
    const body = Array.from({ length: 500 }, (_, i) => `line ${i} — dòng ${i}`).join("\n");
    const h = await env.base.open(p, "write");
    await h.write(Buffer.from(body));
    await h.close();
    expect(await collect(env.base.readChunks(p))).toBe(body);
  });
});

describe("MemoryFileSystem crash model", () => {
  it("keeps only fsynced bytes and directory entries made durable by syncDir", async () => {
    const env = await makeFsEnv("memory");
    const mem = env.memory!;
    const synced = join(env.dir, "synced");
    const unsyncedName = join(env.dir, "unsynced-name");
    let h = await mem.open(synced, "write");
    await h.write(Buffer.from("durable"));
    await h.sync();
    await h.write(Buffer.from(" lost"));
    await mem.syncDir(env.dir);
    const h2 = await mem.open(unsyncedName, "write");
    await h2.write(Buffer.from("x"));
    await h2.sync(); // bytes synced, but the directory entry never is
    mem.crash();
    expect(Buffer.from((await mem.readFile(synced))!).toString()).toBe("durable");
    expect(await mem.readFile(unsyncedName)).toBeUndefined();
    await expect(h.write(Buffer.from("after"))).rejects.toMatchObject({ code: "EBADF" });
    h = await mem.open(synced, "append");
    await h.write(Buffer.from("!"));
    await h.close();
    expect(mem.peek(synced)?.toString()).toBe("durable!");
  });

  it("a rename not followed by syncDir is undone by a crash", async () => {
    const env = await makeFsEnv("memory");
    const mem = env.memory!;
    const target = join(env.dir, "c.json");
    const temp = join(env.dir, "c.json.tmp");
    for (const [p, body] of [[target, "old"], [temp, "new"]] as const) {
      const h = await mem.open(p, "write");
      await h.write(Buffer.from(body));
      await h.sync();
      await h.close();
    }
    await mem.syncDir(env.dir);
    await mem.rename(temp, target);
    mem.crash();
    expect(mem.peek(target)?.toString()).toBe("old");
    expect(mem.peek(temp)?.toString()).toBe("new");
  });
});
