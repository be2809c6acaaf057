import { mkdtemp, rm, stat } from "node:fs/promises";
import * as fsp from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { NodeDurableFs } from "./node-fs.js";

/** Paths whose handle got fsync()ed: for a directory, its entries (new files, subdirectories) are durable. */
const synced: string[] = [];

vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof fsp>();
  const open = async (path: string, flags?: string): Promise<FileHandle> => {
    const fh = await real.open(path, flags);
    const sync = fh.sync.bind(fh);
    fh.sync = async () => {
      await sync();
      synced.push(path);
    };
    return fh;
  };
  return { ...real, open };
});

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "loa-node-fs-"));
  synced.length = 0;
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe("NodeDurableFs.mkdirp", () => {
  it("fsyncs the parent of every directory it created, not only the leaf's (power cut: ARCHITECTURE §3)", async () => {
    await new NodeDurableFs().mkdirp(join(base, "a", "b", "c"));
    expect((await stat(join(base, "a", "b", "c"))).isDirectory()).toBe(true);
    expect([...synced].sort()).toEqual([base, join(base, "a"), join(base, "a", "b")].sort());
  });

  it("syncs nothing when the directory already exists", async () => {
    await new NodeDurableFs().mkdirp(join(base, "x"));
    synced.length = 0;
    await new NodeDurableFs().mkdirp(join(base, "x"));
    expect(synced).toEqual([]);
  });

  it("syncs only the parents of the levels it created", async () => {
    await new NodeDurableFs().mkdirp(join(base, "a"));
    synced.length = 0;
    await new NodeDurableFs().mkdirp(join(base, "a", "b"));
    expect(synced).toEqual([join(base, "a")]);
  });
});
