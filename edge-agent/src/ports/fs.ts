/**
 * Durable file storage as the receiver's persistent state sees it (ARCHITECTURE §3 "Nothing lost", media
 * cache, plan). The receiver runs on an SD card with power cuts, so every method that writes says exactly
 * what is on disk when its promise resolves. The real adapter is `NodeDurableFs` (node:fs); tests run the
 * core against it in os.tmpdir().
 */

export interface FileStat {
  size: number;
  mtimeMs: number;
}

/** A file written at offsets (a `.part` download). Writes reach the disk only after `sync()`. */
export interface RandomAccessFile {
  readonly path: string;
  /** Write all of `data` at byte `position`. */
  write(data: Uint8Array, position: number): Promise<void>;
  /** fdatasync: every write so far is on disk when this resolves. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** What `readJsonLines` found. */
export interface JsonLines {
  /** Every line that parsed as JSON, in file order. */
  records: unknown[];
  /** The last line was incomplete (no newline and not JSON): a write cut by a crash. It is not in `records`. */
  torn: boolean;
  /** Lines before the last one that did not parse (disk corruption); skipped. */
  bad: number;
}

export interface DurableFs {
  /** Create `dir` and its parents; durable (parent directory fsynced) when it did not exist. */
  mkdirp(dir: string): Promise<void>;
  /** Whole file, or null when it does not exist. */
  readFile(path: string): Promise<Uint8Array | null>;
  /** A JSON Lines file, tolerating a torn last line; null when the file does not exist. */
  readJsonLines(path: string): Promise<JsonLines | null>;
  /**
   * Append one line per record (JSON) in a single write, then fdatasync; creating the file also fsyncs its
   * directory. When this resolves the records survive a power cut.
   */
  appendJsonLines(path: string, records: readonly unknown[]): Promise<void>;
  /** Replace `path` atomically: temp file, fsync, rename, directory fsync. Readers see old or new, never half. */
  writeAtomic(path: string, data: string | Uint8Array): Promise<void>;
  /** Open (create if missing) for writes at offsets, with its length set to `size` (sparse, not zero-filled). */
  openRandomAccess(path: string, size: number): Promise<RandomAccessFile>;
  /** Atomic rename, then directory fsync. */
  rename(from: string, to: string): Promise<void>;
  /** Delete a file; no error when it is already gone. Not fsynced: a file coming back after a crash is harmless. */
  remove(path: string): Promise<void>;
  /** File names (not paths) in `dir`; empty when the directory does not exist. */
  list(dir: string): Promise<string[]>;
  /** null when it does not exist. */
  stat(path: string): Promise<FileStat | null>;
  /** Lowercase hex sha256 of the file's content, streamed. */
  sha256(path: string): Promise<string>;
  /** Set the modification time (recency for LRU across reboots); best effort, not fsynced. */
  touch(path: string, timeMs: number): Promise<void>;
}
