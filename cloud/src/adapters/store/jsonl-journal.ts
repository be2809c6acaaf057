/**
 * The journal (ARCHITECTURE §8): high-rate facts as JSON Lines, one file per UTC month chosen by the entry's
 * `ts` (`2026-11.jsonl`). Appends are group-committed: everything queued while a write is in flight goes
 * out in one write and one fsync per file. A crash can leave a torn last line; replay skips and counts it,
 * and before appending to a file whose last byte is not "\n" we write a "\n" first, so the torn bytes stay
 * (for whoever investigates) on a line of their own and the next entry starts clean.
 */
import { dirname, join } from "node:path";
import type { Logger } from "pino";
import type { Clock } from "@loa/shared";
import type { FileHandle, FileSystem, Journal, JournalEntry, JournalStats } from "../../ports/store.js";
import { Batcher } from "./batcher.js";
import { JournalEntryInvalidError, StoreClosedError, StoreWriteError } from "./errors.js";
import { splitLines } from "./lines.js";

export interface JsonlJournalDeps {
  fs: FileSystem;
  /** The journal directory, e.g. `<dataDir>/journal`. Created if missing. */
  dir: string;
  clock: Clock;
  log: Logger;
  /** Extra time to gather appends into one write; default 0 (the next turn of the event loop). */
  batchWindowMs?: number;
  /** Append handles kept open (entries may target past months); default 4. */
  maxOpenFiles?: number;
  /** One file per UTC month (default) or per UTC hour (`2026-11-27T05.jsonl`, for short-lived samples). */
  period?: JournalPeriod;
  /**
   * Delete files whose period ended more than this long ago, at open and whenever a new file begins;
   * default: keep everything. Only for facts with a window (telemetry history), never for plays or audit.
   */
  retainMs?: number;
}

export type JournalPeriod = "month" | "hour";

const KINDS: ReadonlySet<string> = new Set<JournalEntry["kind"]>(["event", "play", "telemetry", "audit", "cmd"]);
const FILE_RE: Record<JournalPeriod, RegExp> = { month: /^\d{4}-\d{2}\.jsonl$/, hour: /^\d{4}-\d{2}-\d{2}T\d{2}\.jsonl$/ };
const HOUR_MS = 3_600_000;
/** Year 10000: beyond it ISO strings (and so file names) change shape. */
const MAX_TS = 253_402_300_800_000;

interface PendingAppend {
  lines: { file: string; line: string }[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** The month of the last name made: almost every entry falls in the current month. */
let lastMonth = { from: 0, to: 0, name: "" };

/** `2026-11.jsonl` for a ts in November 2026 UTC. */
export function journalFileFor(ts: number): string {
  if (ts >= lastMonth.from && ts < lastMonth.to) return lastMonth.name;
  const d = new Date(ts);
  const name = `${d.toISOString().slice(0, 7)}.jsonl`;
  lastMonth = { from: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), to: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1), name };
  return name;
}

/** `2026-11-27T05.jsonl` for a ts in that UTC hour. */
export function hourFileFor(ts: number): string {
  return `${new Date(ts - (ts % HOUR_MS)).toISOString().slice(0, 13)}.jsonl`;
}

/** Epoch ms at which the period a file name covers ends. */
function periodEnd(name: string, period: JournalPeriod): number {
  if (period === "hour") return Date.parse(`${name.slice(0, 13)}:00:00.000Z`) + HOUR_MS;
  const [y = 0, m = 0] = name.slice(0, 7).split("-").map(Number);
  return Date.UTC(y, m, 1);
}

export function isJournalEntry(value: unknown): value is JournalEntry {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const { kind, ts } = value as { kind?: unknown; ts?: unknown };
  return typeof kind === "string" && KINDS.has(kind) && typeof ts === "number" && Number.isFinite(ts);
}

export class JsonlJournal implements Journal {
  private readonly fs: FileSystem;
  private readonly dir: string;
  private readonly log: Logger;
  private readonly maxOpen: number;
  /** Open append handles, least recently used first. */
  private readonly handles = new Map<string, FileHandle>();
  private readonly batcher: Batcher<PendingAppend>;
  private readonly clock: Clock;
  private readonly period: JournalPeriod;
  private readonly fileFor: (ts: number) => string;
  private readonly retainMs: number | undefined;
  private closed = false;
  private writeCount = 0;
  private repairs = 0;

  static async open(deps: JsonlJournalDeps): Promise<JsonlJournal> {
    await deps.fs.mkdirp(deps.dir);
    await deps.fs.syncDir(dirname(deps.dir)); // so the journal directory itself survives a power loss
    const journal = new JsonlJournal(deps);
    await journal.prune();
    return journal;
  }

  private constructor(deps: JsonlJournalDeps) {
    this.fs = deps.fs;
    this.dir = deps.dir;
    this.log = deps.log;
    this.maxOpen = Math.max(1, deps.maxOpenFiles ?? 4);
    this.clock = deps.clock;
    this.period = deps.period ?? "month";
    this.fileFor = this.period === "hour" ? hourFileFor : journalFileFor;
    this.retainMs = deps.retainMs;
    this.batcher = new Batcher<PendingAppend>({
      clock: deps.clock,
      windowMs: deps.batchWindowMs ?? 0,
      flush: (batch) => this.flush(batch),
    });
  }

  /** Group commits done so far; for logs and tests. */
  get writes(): number {
    return this.writeCount;
  }

  /** Torn last lines terminated with "\n" before appending; for logs and tests. */
  get repairedTails(): number {
    return this.repairs;
  }

  append(...entries: JournalEntry[]): Promise<void> {
    if (this.closed) return Promise.reject(new StoreClosedError("journal"));
    let lines: PendingAppend["lines"];
    try {
      lines = entries.map((e) => ({ file: this.fileFor(checkTs(e)), line: toLine(e) }));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    if (lines.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.batcher.push({ lines, resolve, reject }));
  }

  async replay(onEntry: (entry: JournalEntry) => void): Promise<JournalStats> {
    await this.batcher.drain();
    const files = await this.files();
    const stats: JournalStats = { entries: 0, skippedLines: 0, files: files.length };
    for (const name of files) {
      for await (const line of splitLines(this.fs.readChunks(join(this.dir, name)))) {
        if (line.length === 0) continue;
        const entry = parseLine(line);
        if (entry === undefined) {
          stats.skippedLines++;
          this.log.warn({ file: name, bytes: line.length }, "journal: skipped an unreadable line");
          continue;
        }
        stats.entries++;
        onEntry(entry);
      }
    }
    return stats;
  }

  /**
   * Delete the files whose period ended more than `retainMs` ago (none without `retainMs`). Returns how
   * many went. A file still open for appends is closed first.
   */
  async prune(): Promise<number> {
    if (this.retainMs === undefined) return 0;
    const before = this.clock.now() - this.retainMs;
    const old = (await this.files()).filter((name) => periodEnd(name, this.period) <= before);
    for (const name of old) {
      const handle = this.handles.get(name);
      this.handles.delete(name);
      await handle?.close();
      await this.fs.remove(join(this.dir, name));
    }
    if (old.length > 0) {
      await this.fs.syncDir(this.dir);
      this.log.info({ files: old.length, dir: this.dir }, "journal: files past their retention deleted");
    }
    return old.length;
  }

  private async files(): Promise<string[]> {
    return (await this.fs.list(this.dir)).filter((n) => FILE_RE[this.period].test(n)).sort();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.batcher.drain();
    const open = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(open.map((h) => h.close()));
  }

  private async flush(batch: PendingAppend[]): Promise<void> {
    const byFile = new Map<string, string[]>();
    for (const p of batch) {
      for (const { file, line } of p.lines) {
        let lines = byFile.get(file);
        if (!lines) byFile.set(file, (lines = []));
        lines.push(line);
      }
    }
    try {
      await Promise.all([...byFile].map(([file, lines]) => this.writeFile(file, lines)));
    } catch (cause) {
      const err = new StoreWriteError("journal", this.dir, cause);
      this.log.error({ err: cause, appends: batch.length }, "journal write failed");
      for (const p of batch) p.reject(err);
      return;
    } finally {
      // Only between batches: a handle must not be closed while another file of the batch is being written.
      await this.evict().catch((e: unknown) => this.log.warn({ err: e }, "journal: closing an idle file failed"));
    }
    this.writeCount++;
    for (const p of batch) p.resolve();
  }

  private async writeFile(file: string, lines: string[]): Promise<void> {
    const handle = await this.handleFor(file);
    try {
      await handle.write(Buffer.from(lines.join(""), "utf8"));
      await handle.sync();
    } catch (err) {
      // The write may be partial: drop the handle so the next open checks and terminates the torn tail.
      this.handles.delete(file);
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  private async handleFor(file: string): Promise<FileHandle> {
    const open = this.handles.get(file);
    if (open) {
      this.handles.delete(file);
      this.handles.set(file, open);
      return open;
    }
    const path = join(this.dir, file);
    const size = await this.fs.size(path);
    const handle = await this.fs.open(path, "append");
    try {
      if (size === undefined) {
        await this.fs.syncDir(this.dir); // the new file's name must survive a power loss too
        if (this.retainMs !== undefined) await this.prune(); // a new period began: the oldest may go
      }
      else if (size > 0 && (await this.fs.readAt(path, size - 1, 1))[0] !== 0x0a) {
        await handle.write(Buffer.from("\n"));
        this.repairs++;
        this.log.warn({ file }, "journal: last line was torn by a crash; it will be skipped on replay");
      }
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
    this.handles.set(file, handle);
    return handle;
  }

  private async evict(): Promise<void> {
    while (this.handles.size > this.maxOpen) {
      const [oldest, handle] = this.handles.entries().next().value as [string, FileHandle];
      this.handles.delete(oldest);
      await handle.close();
    }
  }
}

function checkTs(entry: JournalEntry): number {
  if (!isJournalEntry(entry)) throw new JournalEntryInvalidError("needs a known `kind` and a finite numeric `ts`");
  if (entry.ts < 0 || entry.ts >= MAX_TS) throw new JournalEntryInvalidError(`ts ${entry.ts} is out of range`);
  return entry.ts;
}

function toLine(entry: JournalEntry): string {
  try {
    return JSON.stringify(entry) + "\n";
  } catch (err) {
    throw new JournalEntryInvalidError(`not serialisable as JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

function parseLine(line: string): JournalEntry | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return isJournalEntry(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
