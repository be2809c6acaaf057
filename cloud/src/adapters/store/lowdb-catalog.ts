/**
 * The catalogue (ARCHITECTURE §8): areas, users, devices, bulletins, broadcasts, tokens and small meta,
 * kept whole in memory in a lowdb `Low` and written whole, atomically, by DurableJsonFile. Each update runs
 * on a copy-on-write draft, so a change that throws or yields an invalid catalogue applies nothing; updates
 * close together share one durable write, and each promise resolves only after the write holding it is on
 * disk.
 */
import { Low } from "lowdb";
import type { Logger } from "pino";
import type { Clock } from "@loa/shared";
import { emptyCatalog, type Catalog, type CatalogData, type FileSystem } from "../../ports/store.js";
import { Batcher } from "./batcher.js";
import { CatalogSchema } from "./catalog-schema.js";
import { makeDraft } from "./catalog-draft.js";
import { DurableJsonFile } from "./durable-json-file.js";
import { CatalogInvalidError, StoreClosedError, StoreWriteError } from "./errors.js";

export interface LowdbCatalogDeps {
  fs: FileSystem;
  /** The catalogue file, e.g. `<dataDir>/catalog.json`. Its directory must exist. */
  path: string;
  clock: Clock;
  log: Logger;
  /** Extra time to gather updates into one write; default 0 (the next turn of the event loop). */
  batchWindowMs?: number;
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class LowdbCatalog implements Catalog {
  private readonly low: Low<CatalogData>;
  private readonly file: DurableJsonFile<CatalogData>;
  private readonly log: Logger;
  private readonly batcher: Batcher<Waiter>;
  /** The state last written durably: where a failed write rolls back to. */
  private durable: CatalogData;
  private closed = false;
  private writeCount = 0;

  /** Open the catalogue: missing file → empty catalogue; corrupt file → CatalogCorruptError. */
  static async open(deps: LowdbCatalogDeps): Promise<LowdbCatalog> {
    const file = new DurableJsonFile<CatalogData>({ fs: deps.fs, path: deps.path, schema: CatalogSchema });
    const low = new Low<CatalogData>(file, emptyCatalog());
    await low.read();
    return new LowdbCatalog(deps, low, file);
  }

  private constructor(deps: LowdbCatalogDeps, low: Low<CatalogData>, file: DurableJsonFile<CatalogData>) {
    this.low = low;
    this.file = file;
    this.log = deps.log;
    this.durable = low.data;
    this.batcher = new Batcher<Waiter>({
      clock: deps.clock,
      windowMs: deps.batchWindowMs ?? 0,
      flush: (batch) => this.flush(batch),
    });
  }

  /** Durable writes done so far (one per batch); for logs and tests. */
  get writes(): number {
    return this.writeCount;
  }

  data(): Readonly<CatalogData> {
    return this.low.data;
  }

  update<T>(change: (draft: CatalogData) => T): Promise<T> {
    if (this.closed) return Promise.reject(new StoreClosedError("catalog"));
    let result: T;
    let next: CatalogData;
    try {
      const { draft, commit } = makeDraft(this.low.data);
      result = change(draft);
      if (isThenable(result)) throw new CatalogInvalidError("the change function must be synchronous");
      // Validate now, so a bad change fails its own caller instead of making the next start fail.
      next = commit();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    this.low.data = next;
    return new Promise<T>((resolve, reject) => {
      this.batcher.push({ resolve: () => resolve(result), reject });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.batcher.drain();
  }

  private async flush(batch: Waiter[]): Promise<void> {
    const state = this.low.data;
    try {
      await this.low.write();
    } catch (cause) {
      // Later queued updates were built on top of this batch: fail them too and go back to what is on disk.
      const failed = [...batch, ...this.batcher.takeQueued()];
      this.low.data = this.durable;
      const err = new StoreWriteError("catalog", this.file.path, cause);
      this.log.error({ err: cause, updates: failed.length }, "catalogue write failed; updates rolled back");
      for (const w of failed) w.reject(err);
      return;
    }
    this.durable = state;
    this.writeCount++;
    this.log.debug({ updates: batch.length }, "catalogue written");
    for (const w of batch) w.resolve();
  }
}

function isThenable(value: unknown): boolean {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}
