import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, stat, unlink, utimes } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { DurableFs, FileStat, JsonLines, RandomAccessFile } from "../../ports/fs.js";

/** The real DurableFs on node:fs (ARCHITECTURE §3: the receiver's state survives kill -9 and power cuts). */
export class NodeDurableFs implements DurableFs {
  private tmpCounter = 0;

  async mkdirp(dir: string): Promise<void> {
    // `first` is the top directory mkdir created (undefined: all existed). Each created directory's entry lives
    // in its parent, so every one of those parents is fsynced, not only the leaf's: otherwise a power cut can
    // drop a new middle directory and with it the journal inside.
    const first = await mkdir(dir, { recursive: true });
    if (first === undefined) return;
    const top = resolve(first);
    for (let d = resolve(dir); d !== dirname(d); d = dirname(d)) {
      await syncDir(dirname(d));
      if (d === top) break;
    }
  }

  async readFile(path: string): Promise<Uint8Array | null> {
    try {
      return await readFile(path);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async readJsonLines(path: string): Promise<JsonLines | null> {
    const buf = await this.readFile(path);
    return buf === null ? null : parseJsonLines(Buffer.from(buf).toString("utf8"));
  }

  async appendJsonLines(path: string, records: readonly unknown[]): Promise<void> {
    if (records.length === 0) return;
    const text = records.map((r) => JSON.stringify(r) + "\n").join("");
    const created = !(await exists(path));
    const fh = await open(path, "a");
    try {
      await writeAll(fh, Buffer.from(text, "utf8"), null);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    if (created) await syncDir(dirname(path));
  }

  async writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
    const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${++this.tmpCounter}`);
    try {
      const fh = await open(tmp, "w");
      try {
        await writeAll(fh, typeof data === "string" ? Buffer.from(data, "utf8") : data, 0);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
    } catch (err) {
      await this.remove(tmp);
      throw err;
    }
    await syncDir(dirname(path));
  }

  async openRandomAccess(path: string, size: number): Promise<RandomAccessFile> {
    const created = !(await exists(path));
    const fh = await open(path, created ? "w+" : "r+");
    try {
      if ((await fh.stat()).size !== size) await fh.truncate(size);
      if (created) await syncDir(dirname(path));
    } catch (err) {
      await fh.close();
      throw err;
    }
    return new NodeRandomAccessFile(path, fh);
  }

  async rename(from: string, to: string): Promise<void> {
    await rename(from, to);
    await syncDir(dirname(to));
  }

  async remove(path: string): Promise<void> {
    try {
      await unlink(path);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async list(dir: string): Promise<string[]> {
    try {
      return await readdir(dir);
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  async stat(path: string): Promise<FileStat | null> {
    try {
      const s = await stat(path);
      return { size: s.size, mtimeMs: s.mtimeMs };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async sha256(path: string): Promise<string> {
    const hash = createHash("sha256");
    for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) hash.update(chunk as Buffer);
    return hash.digest("hex");
  }

  async touch(path: string, timeMs: number): Promise<void> {
    const t = new Date(timeMs);
    await utimes(path, t, t);
  }
}

class NodeRandomAccessFile implements RandomAccessFile {
  constructor(
    readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  write(data: Uint8Array, position: number): Promise<void> {
    return writeAll(this.fh, data, position);
  }

  sync(): Promise<void> {
    return this.fh.datasync();
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/**
 * Split JSON Lines. A crash can cut only the last write, so an unparsable last line without its newline is
 * a torn tail; an unparsable line elsewhere (e.g. zeros left by a power cut) is counted and skipped.
 */
export function parseJsonLines(text: string): JsonLines {
  const parts = text.split("\n");
  const tail = parts.pop() ?? "";
  const records: unknown[] = [];
  let bad = 0;
  for (const line of parts) {
    if (line.trim() === "") continue;
    const value = tryParse(line);
    if (value === undefined) bad++;
    else records.push(value);
  }
  let torn = false;
  if (tail.trim() !== "") {
    const value = tryParse(tail);
    if (value === undefined) torn = true;
    else records.push(value);
  }
  return { records, torn, bad };
}

function tryParse(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}

/** FileHandle.write may write fewer bytes than asked; loop until all are written. */
async function writeAll(fh: FileHandle, data: Uint8Array, position: number | null): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const pos = position === null ? null : position + done;
    const { bytesWritten } = await fh.write(data, done, data.length - done, pos);
    if (bytesWritten <= 0) throw new Error(`write made no progress at byte ${done}`);
    done += bytesWritten;
  }
}

/** fsync a directory so a created, renamed or linked entry in it survives a power cut. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

function isNotFound(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "ENOENT";
}
