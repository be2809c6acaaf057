/**
 * Store ports (ARCHITECTURE §8): a small catalogue kept whole in memory and written atomically, and an
 * append-only journal for high-rate facts. Both resolve their writes only once the bytes are durable
 * (fsync), so whatever the API or an MQTT ack confirmed survives a kill -9.
 */
import type { ApiToken, Area, Broadcast, Bulletin, Device, User } from "@loa/shared";

export interface CatalogData {
  areas: Area[];
  users: User[];
  devices: Device[];
  bulletins: Bulletin[];
  broadcasts: Broadcast[];
  tokens: ApiToken[];
  /** Small facts that must survive restarts: plan versions per device, last health, settings. */
  meta: Record<string, unknown>;
}

export function emptyCatalog(): CatalogData {
  return { areas: [], users: [], devices: [], bulletins: [], broadcasts: [], tokens: [], meta: {} };
}

export interface Catalog {
  /** The current state. Treat as read-only; change it only through `update`. */
  data(): Readonly<CatalogData>;
  /**
   * Apply `change` to the state and persist it. Several updates issued close together are written in one
   * batch; the promise resolves after that batch is durable. If `change` throws, nothing is applied.
   */
  update<T>(change: (draft: CatalogData) => T): Promise<T>;
  close(): Promise<void>;
}

/** One line of the journal. `kind` picks the index; `ts` is epoch ms; the rest is the fact itself. */
export interface JournalEntry {
  kind: "event" | "play" | "telemetry" | "audit" | "cmd";
  ts: number;
  [field: string]: unknown;
}

export interface JournalStats {
  entries: number;
  /** Lines that could not be parsed on load (a torn last line after a crash), skipped. */
  skippedLines: number;
  files: number;
}

export interface Journal {
  /** Append entries; resolves once they are durable (batched with other appends into one fsync). */
  append(...entries: JournalEntry[]): Promise<void>;
  /** Read every entry from the oldest file to the newest, in order (used to rebuild in-memory indexes on start). */
  replay(onEntry: (entry: JournalEntry) => void): Promise<JournalStats>;
  close(): Promise<void>;
}

/** Catalogue and journal opened together over one data directory (ARCHITECTURE §8). */
export interface Store {
  catalog: Catalog;
  journal: Journal;
  /** Telemetry samples (short-lived, pruned by age) apart from the journal; absent: they go to `journal`. */
  telemetry?: Journal;
  /** Flush and close them all. */
  close(): Promise<void>;
}

/**
 * The few file operations the store needs, so tests can count fsyncs and simulate a crash that drops
 * everything not yet synced (MemoryFileSystem), and the real adapter stays the only place touching node:fs.
 */
export interface FileHandle {
  /** Write all of `data` at the end of the file (append mode) or after the previous write (write mode). */
  write(data: Uint8Array): Promise<void>;
  /** fsync: returns once written bytes survive a power loss. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface FileSystem {
  /** Create `dir` and its parents if missing. */
  mkdirp(dir: string): Promise<void>;
  /** The whole file, or undefined when it does not exist. */
  readFile(path: string): Promise<Uint8Array | undefined>;
  /** `length` bytes from `position` (fewer at the end of the file). */
  readAt(path: string, position: number, length: number): Promise<Uint8Array>;
  /** The file's size in bytes, or undefined when it does not exist. */
  size(path: string): Promise<number | undefined>;
  /** Entry names in `dir` (not paths), or [] when `dir` does not exist. */
  list(dir: string): Promise<string[]>;
  /** Stream the file in chunks, for files too big to read whole. */
  readChunks(path: string): AsyncIterable<Uint8Array>;
  /** "write" creates or truncates; "append" creates or appends. */
  open(path: string, mode: "write" | "append"): Promise<FileHandle>;
  /** Atomically replace `to` with `from` (same directory). */
  rename(from: string, to: string): Promise<void>;
  /** Delete a file; no error when it is already gone. */
  remove(path: string): Promise<void>;
  /** fsync a directory, so created, renamed and removed entries in it are durable. */
  syncDir(dir: string): Promise<void>;
}
