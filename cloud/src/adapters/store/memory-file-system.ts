/**
 * In-memory FileSystem fake that models what survives a power loss: file bytes only once fsynced, and
 * directory entries (create, rename, remove) only once their directory is fsynced. `crash()` throws away
 * everything else, so tests can check the store's sync discipline, which a real kill -9 (the page cache
 * survives it) cannot. Directories themselves are treated as durable as soon as they are made.
 */
import { posix } from "node:path";
import type { FileHandle, FileSystem } from "../../ports/store.js";

interface Inode {
  data: Buffer;
  /** Content as of the last fsync. */
  durable: Buffer;
}

function fsError(code: string, op: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${op} '${path}'`), { code, path });
}

export interface MemoryFileSystemOptions {
  /** Size of the chunks readChunks yields; small values exercise line splitting across chunks. */
  chunkSize?: number;
}

export class MemoryFileSystem implements FileSystem {
  private readonly dirs = new Set<string>(["/"]);
  private live = new Map<string, Inode>();
  private synced = new Map<string, Inode>();
  private generation = 0;
  private readonly chunkSize: number;

  constructor(options: MemoryFileSystemOptions = {}) {
    this.chunkSize = Math.max(1, options.chunkSize ?? 4096);
  }

  /** Lose power: unsynced bytes and unsynced directory entries vanish; open handles go stale. */
  crash(): void {
    this.generation++;
    this.live = new Map(this.synced);
    for (const inode of this.live.values()) inode.data = Buffer.from(inode.durable);
  }

  /** Test helper: the current (not necessarily durable) bytes of a file. */
  peek(path: string): Buffer | undefined {
    const inode = this.live.get(posix.normalize(path));
    return inode ? Buffer.from(inode.data) : undefined;
  }

  async mkdirp(dir: string): Promise<void> {
    await Promise.resolve();
    for (let d = posix.normalize(dir); !this.dirs.has(d); d = posix.dirname(d)) this.dirs.add(d);
  }

  async readFile(path: string): Promise<Uint8Array | undefined> {
    await Promise.resolve();
    const inode = this.live.get(posix.normalize(path));
    return inode ? Buffer.from(inode.data) : undefined;
  }

  async readAt(path: string, position: number, length: number): Promise<Uint8Array> {
    const inode = this.inode(path, "open");
    await Promise.resolve();
    return Buffer.from(inode.data.subarray(position, position + length));
  }

  async size(path: string): Promise<number | undefined> {
    await Promise.resolve();
    return this.live.get(posix.normalize(path))?.data.byteLength;
  }

  async list(dir: string): Promise<string[]> {
    await Promise.resolve();
    const d = posix.normalize(dir);
    const names = [...this.live.keys(), ...this.dirs].filter((p) => p !== d && posix.dirname(p) === d);
    return names.map((p) => posix.basename(p));
  }

  async *readChunks(path: string): AsyncIterable<Uint8Array> {
    const data = Buffer.from(this.inode(path, "open").data);
    for (let i = 0; i < data.byteLength; i += this.chunkSize) {
      await Promise.resolve();
      yield data.subarray(i, i + this.chunkSize);
    }
  }

  async open(path: string, mode: "write" | "append"): Promise<FileHandle> {
    await Promise.resolve();
    const p = posix.normalize(path);
    if (!this.dirs.has(posix.dirname(p))) throw fsError("ENOENT", "open", p);
    let inode = this.live.get(p);
    if (!inode) {
      inode = { data: Buffer.alloc(0), durable: Buffer.alloc(0) };
      this.live.set(p, inode);
    } else if (mode === "write") inode.data = Buffer.alloc(0);
    return this.handle(inode, p);
  }

  async rename(from: string, to: string): Promise<void> {
    await Promise.resolve();
    const inode = this.inode(from, "rename");
    this.live.delete(posix.normalize(from));
    this.live.set(posix.normalize(to), inode);
  }

  async remove(path: string): Promise<void> {
    await Promise.resolve();
    this.live.delete(posix.normalize(path));
  }

  async syncDir(dir: string): Promise<void> {
    await Promise.resolve();
    const d = posix.normalize(dir);
    if (!this.dirs.has(d)) throw fsError("ENOENT", "open", d);
    for (const p of [...this.synced.keys()]) if (posix.dirname(p) === d) this.synced.delete(p);
    for (const [p, inode] of this.live) if (posix.dirname(p) === d) this.synced.set(p, inode);
  }

  private inode(path: string, op: string): Inode {
    const inode = this.live.get(posix.normalize(path));
    if (!inode) throw fsError("ENOENT", op, path);
    return inode;
  }

  private handle(inode: Inode, path: string): FileHandle {
    const generation = this.generation;
    let closed = false;
    const check = async (op: string): Promise<void> => {
      await Promise.resolve();
      if (closed || generation !== this.generation) throw fsError("EBADF", op, path);
    };
    return {
      write: async (data) => {
        await check("write");
        inode.data = Buffer.concat([inode.data, data]);
      },
      sync: async () => {
        await check("fsync");
        inode.durable = Buffer.from(inode.data);
      },
      close: async () => {
        await check("close");
        closed = true;
      },
    };
  }
}
