/**
 * Open the cloud's durable store over a data directory (ARCHITECTURE §8):
 *   <dataDir>/catalog.json          the catalogue (LowdbCatalog)
 *   <dataDir>/journal/YYYY-MM.jsonl the journal (JsonlJournal)
 */
import { dirname, join } from "node:path";
import { pino, type Logger } from "pino";
import { SystemClock, type Clock } from "@loa/shared";
import type { FileSystem, Store } from "../../ports/store.js";
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

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const fs = options.fs ?? new NodeFileSystem();
  const clock = options.clock ?? new SystemClock();
  const log = (options.log ?? pino({ level: "silent" })).child({ ns: "cloud.store" });
  const batchWindowMs = options.batchWindowMs ?? 0;
  await fs.mkdirp(options.dataDir);
  await fs.syncDir(dirname(options.dataDir));
  const catalog = await LowdbCatalog.open({ fs, path: join(options.dataDir, CATALOG_FILE), clock, log, batchWindowMs });
  const journal = await JsonlJournal.open({ fs, dir: join(options.dataDir, JOURNAL_DIR), clock, log, batchWindowMs });
  return {
    catalog,
    journal,
    close: async () => {
      await Promise.all([catalog.close(), journal.close()]);
    },
  };
}
