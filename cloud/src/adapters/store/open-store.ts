/**
 * Open the cloud's durable store over a data directory (ARCHITECTURE §8):
 *   <dataDir>/catalog.json          the catalogue (LowdbCatalog)
 *   <dataDir>/journal/YYYY-MM.jsonl the journal (JsonlJournal)
 *   <dataDir>/telemetry/YYYY-MM-DDTHH.jsonl telemetry samples for the charts' history: hourly files, deleted
 *                                   after TELEMETRY_RETAIN_MS, so the start-up replay of plays and events
 *                                   never reads them and the history rebuild reads a few hours only
 */
import { dirname, join } from "node:path";
import { pino, type Logger } from "pino";
import { SystemClock, type Clock } from "@loa/shared";
import type { FileSystem, Store } from "../../ports/store.js";
import { TELEMETRY_WINDOW_MS } from "../../core/telemetry-history.js";
import { JsonlJournal } from "./jsonl-journal.js";
import { LowdbCatalog } from "./lowdb-catalog.js";
import { NodeFileSystem } from "./node-file-system.js";

export interface OpenStoreOptions {
  dataDir: string;
  clock?: Clock;
  /** Parent logger; the store logs under `cloud.store`. Silent when absent. */
  log?: Logger;
  /** Defaults to the real disk; tests pass MemoryFileSystem or RecordingFileSystem. */
  fs?: FileSystem;
  /** Extra time to gather writes into one batch; default 0 (the next turn of the event loop). */
  batchWindowMs?: number;
}

export const CATALOG_FILE = "catalog.json";
export const JOURNAL_DIR = "journal";
export const TELEMETRY_DIR = "telemetry";
/** The charts' window and one hour more, so the oldest hourly file still covers the window's start. */
export const TELEMETRY_RETAIN_MS = TELEMETRY_WINDOW_MS + 3_600_000;

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const fs = options.fs ?? new NodeFileSystem();
  const clock = options.clock ?? new SystemClock();
  const log = (options.log ?? pino({ level: "silent" })).child({ ns: "cloud.store" });
  const batchWindowMs = options.batchWindowMs ?? 0;
  await fs.mkdirp(options.dataDir);
  await fs.syncDir(dirname(options.dataDir));
  const catalog = await LowdbCatalog.open({ fs, path: join(options.dataDir, CATALOG_FILE), clock, log, batchWindowMs });
  const journal = await JsonlJournal.open({ fs, dir: join(options.dataDir, JOURNAL_DIR), clock, log, batchWindowMs });
  const telemetry = await JsonlJournal.open({ fs, dir: join(options.dataDir, TELEMETRY_DIR), clock, log, batchWindowMs, period: "hour", retainMs: TELEMETRY_RETAIN_MS });
  return {
    catalog,
    journal,
    telemetry,
    close: async () => {
      await Promise.all([catalog.close(), journal.close(), telemetry.close()]);
    },
  };
}
