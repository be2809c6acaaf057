/**
 * A lowdb adapter that writes a JSON file the crash-safe way (ARCHITECTURE §8; the zigbee-herdsman way):
 * write a temp file in the same directory, fsync it, rename it over the target, fsync the directory. A
 * reader therefore sees the old file or the new one, never a mix. Reading validates with zod and refuses a
 * corrupt file instead of starting over it.
 */
import { basename, dirname, join } from "node:path";
import type { Adapter } from "lowdb";
import type { z } from "zod";
import type { FileSystem } from "../../ports/store.js";
import { describeIssues } from "./catalog-schema.js";
import { CatalogCorruptError } from "./errors.js";

export interface DurableJsonFileDeps<T> {
  fs: FileSystem;
  path: string;
  schema: z.ZodType<T>;
}

export class DurableJsonFile<T> implements Adapter<T> {
  private readonly fs: FileSystem;
  private readonly schema: z.ZodType<T>;
  readonly path: string;
  private readonly dir: string;
  private readonly tempPrefix: string;
  private writes = 0;

  constructor(deps: DurableJsonFileDeps<T>) {
    this.fs = deps.fs;
    this.path = deps.path;
    this.schema = deps.schema;
    this.dir = dirname(deps.path);
    this.tempPrefix = `${basename(deps.path)}.tmp-`;
  }

  /** The parsed file, or null when there is none yet. Removes temp files a crash left behind. */
  async read(): Promise<T | null> {
    await this.removeLeftovers();
    const bytes = await this.fs.readFile(this.path);
    if (bytes === undefined) return null;
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(bytes).toString("utf8"));
    } catch (err) {
      throw new CatalogCorruptError(this.path, `not valid JSON (${err instanceof Error ? err.message : String(err)})`, { cause: err });
    }
    const parsed = this.schema.safeParse(json);
    if (!parsed.success) throw new CatalogCorruptError(this.path, `does not match the schema: ${describeIssues(parsed.error)}`);
    return parsed.data;
  }

  async write(data: T): Promise<void> {
    // Serialise before the first await: the caller may swap in a newer state while we write.
    const bytes = Buffer.from(JSON.stringify(data, null, 1) + "\n", "utf8");
    const temp = join(this.dir, `${this.tempPrefix}${process.pid}-${++this.writes}`);
    try {
      const handle = await this.fs.open(temp, "write");
      try {
        await handle.write(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.fs.rename(temp, this.path);
    } catch (err) {
      await this.fs.remove(temp).catch(() => undefined);
      throw err;
    }
    await this.fs.syncDir(this.dir);
  }

  /** Temp files of a write a crash interrupted: never acknowledged, so safe to drop. */
  private async removeLeftovers(): Promise<void> {
    const names = await this.fs.list(this.dir);
    for (const name of names) if (name.startsWith(this.tempPrefix)) await this.fs.remove(join(this.dir, name));
  }
}
