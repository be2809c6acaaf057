/**
 * Shared set-up for the store's tests: the same suites run over the real disk (a temp dir under
 * os.tmpdir()) and over MemoryFileSystem, each wrapped in a RecordingFileSystem to count operations
 * (STYLE: every fake has a contract test shared with its real adapter).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { FileSystem } from "../../ports/store.js";
import { MemoryFileSystem } from "./memory-file-system.js";
import { NodeFileSystem } from "./node-file-system.js";
import { RecordingFileSystem } from "./recording-file-system.js";

export type FsKind = "node" | "memory";
export const FS_KINDS: FsKind[] = ["node", "memory"];

export interface FsEnv {
  kind: FsKind;
  /** The plain file system under test. */
  base: FileSystem;
  /** `base` wrapped to count operations and inject faults. */
  fs: RecordingFileSystem;
  /** The MemoryFileSystem, when kind is "memory". */
  memory: MemoryFileSystem | undefined;
  /** A fresh empty directory for this test. */
  dir: string;
  cleanup(): Promise<void>;
}

export async function makeFsEnv(kind: FsKind): Promise<FsEnv> {
  if (kind === "memory") {
    const memory = new MemoryFileSystem({ chunkSize: 37 });
    const dir = "/data/loa";
    await memory.mkdirp(dir);
    return { kind, base: memory, fs: new RecordingFileSystem(memory), memory, dir, cleanup: () => Promise.resolve() };
  }
  const dir = await mkdtemp(join(tmpdir(), "loa-store-"));
  const base = new NodeFileSystem();
  return {
    kind,
    base,
    fs: new RecordingFileSystem(base),
    memory: undefined,
    dir,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export const silentLog = pino({ level: "silent" });

export function errnoError(code: string): Error {
  return Object.assign(new Error(`${code}: injected fault`), { code });
}

export function sampleDevice(n: number): { id: string; name: string; areaId: string; profile: string; tokenHash: string; createdAt: string } {
  return {
    id: `dev-${n}`,
    name: `Loa thôn ${n}`,
    areaId: "village-1",
    profile: "loa-amp-v1",
    tokenHash: "scrypt$x",
    createdAt: "2026-11-01T00:00:00.000Z",
  };
}
