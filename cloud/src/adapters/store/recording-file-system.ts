/**
 * FileSystem decorator for tests: records every operation (so a test can count fsyncs and renames) and can
 * fail or "kill" at a chosen operation, to check what the store does when the disk errors or the process
 * dies between two steps of a durable write.
 */
import type { FileHandle, FileSystem } from "../../ports/store.js";

export type FsOp =
  | "mkdirp" | "readFile" | "readAt" | "size" | "list" | "readChunks" | "open" | "rename" | "remove" | "syncDir"
  | "write" | "sync" | "close";

export interface FsOpRecord {
  op: FsOp;
  path: string;
}

/** Return an Error to make the operation fail with it (before it touches the inner file system). */
export type FsFault = (record: FsOpRecord, index: number) => Error | undefined;

export class RecordingFileSystem implements FileSystem {
  readonly ops: FsOpRecord[] = [];
  fault: FsFault | undefined;

  constructor(private readonly inner: FileSystem) {}

  count(op: FsOp, pathIncludes = ""): number {
    return this.ops.filter((r) => r.op === op && r.path.includes(pathIncludes)).length;
  }

  reset(): void {
    this.ops.length = 0;
  }

  mkdirp(dir: string): Promise<void> {
    return this.run("mkdirp", dir, () => this.inner.mkdirp(dir));
  }

  readFile(path: string): Promise<Uint8Array | undefined> {
    return this.run("readFile", path, () => this.inner.readFile(path));
  }

  readAt(path: string, position: number, length: number): Promise<Uint8Array> {
    return this.run("readAt", path, () => this.inner.readAt(path, position, length));
  }

  size(path: string): Promise<number | undefined> {
    return this.run("size", path, () => this.inner.size(path));
  }

  list(dir: string): Promise<string[]> {
    return this.run("list", dir, () => this.inner.list(dir));
  }

  async *readChunks(path: string): AsyncIterable<Uint8Array> {
    await this.run("readChunks", path, () => Promise.resolve());
    yield* this.inner.readChunks(path);
  }

  async open(path: string, mode: "write" | "append"): Promise<FileHandle> {
    const handle = await this.run("open", path, () => this.inner.open(path, mode));
    return {
      write: (data) => this.run("write", path, () => handle.write(data)),
      sync: () => this.run("sync", path, () => handle.sync()),
      close: () => this.run("close", path, () => handle.close()),
    };
  }

  rename(from: string, to: string): Promise<void> {
    return this.run("rename", `${from} -> ${to}`, () => this.inner.rename(from, to));
  }

  remove(path: string): Promise<void> {
    return this.run("remove", path, () => this.inner.remove(path));
  }

  syncDir(dir: string): Promise<void> {
    return this.run("syncDir", dir, () => this.inner.syncDir(dir));
  }

  private async run<T>(op: FsOp, path: string, fn: () => Promise<T>): Promise<T> {
    const record = { op, path };
    const index = this.ops.push(record) - 1;
    const err = this.fault?.(record, index);
    if (err) throw err;
    return fn();
  }
}
