/**
 * The real FileSystem port over node:fs/promises (ARCHITECTURE §8). The only store code touching the disk.
 */
import { createReadStream } from "node:fs";
import * as fsp from "node:fs/promises";
import type { FileHandle, FileSystem } from "../../ports/store.js";

function isErrno(err: unknown, ...codes: string[]): boolean {
  return err instanceof Error && "code" in err && codes.includes(String((err as NodeJS.ErrnoException).code));
}

class NodeFileHandle implements FileHandle {
  constructor(private readonly handle: fsp.FileHandle) {}

  async write(data: Uint8Array): Promise<void> {
    let offset = 0;
    // A write may be short; loop so a batch is never half written while we believe it whole.
    while (offset < data.byteLength) {
      const { bytesWritten } = await this.handle.write(data, offset, data.byteLength - offset);
      offset += bytesWritten;
    }
  }

  sync(): Promise<void> {
    return this.handle.sync();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

export class NodeFileSystem implements FileSystem {
  async mkdirp(dir: string): Promise<void> {
    await fsp.mkdir(dir, { recursive: true });
  }

  async readFile(path: string): Promise<Uint8Array | undefined> {
    try {
      return await fsp.readFile(path);
    } catch (err) {
      if (isErrno(err, "ENOENT")) return undefined;
      throw err;
    }
  }

  async readAt(path: string, position: number, length: number): Promise<Uint8Array> {
    const handle = await fsp.open(path, "r");
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buf, 0, length, position);
      return buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  async size(path: string): Promise<number | undefined> {
    try {
      return (await fsp.stat(path)).size;
    } catch (err) {
      if (isErrno(err, "ENOENT")) return undefined;
      throw err;
    }
  }

  async list(dir: string): Promise<string[]> {
    try {
      return await fsp.readdir(dir);
    } catch (err) {
      if (isErrno(err, "ENOENT")) return [];
      throw err;
    }
  }

  async *readChunks(path: string): AsyncIterable<Uint8Array> {
    // 1 MiB chunks: replaying a million-line journal is bound by parsing, not by syscalls.
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) yield chunk as Buffer;
  }

  async open(path: string, mode: "write" | "append"): Promise<FileHandle> {
    return new NodeFileHandle(await fsp.open(path, mode === "write" ? "w" : "a"));
  }

  rename(from: string, to: string): Promise<void> {
    return fsp.rename(from, to);
  }

  async remove(path: string): Promise<void> {
    await fsp.rm(path, { force: true });
  }

  async syncDir(dir: string): Promise<void> {
    const handle = await fsp.open(dir, "r");
    try {
      await handle.sync();
    } catch (err) {
      // Some platforms (Windows) cannot fsync a directory; there rename is already durable enough.
      if (!isErrno(err, "EISDIR", "EPERM", "EINVAL")) throw err;
    } finally {
      await handle.close();
    }
  }
}
