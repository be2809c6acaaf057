/**
 * In-memory Catalog and Journal for unit tests of code that uses the store ports (cloud/src/ports/store.ts):
 * same contract as the durable store (a change that throws applies nothing; replay in order), no disk.
 */
import { emptyCatalog, type Catalog, type CatalogData, type Journal, type JournalEntry, type JournalStats } from "../ports/store.js";

export class MemoryCatalog implements Catalog {
  private state: CatalogData;
  updates = 0;

  constructor(initial: CatalogData = emptyCatalog()) {
    this.state = structuredClone(initial);
  }

  data(): Readonly<CatalogData> {
    return this.state;
  }

  update<T>(change: (draft: CatalogData) => T): Promise<T> {
    try {
      const draft = structuredClone(this.state);
      const result = change(draft);
      this.state = draft;
      this.updates++;
      return Promise.resolve(result);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export class MemoryJournal implements Journal {
  readonly entries: JournalEntry[] = [];

  append(...entries: JournalEntry[]): Promise<void> {
    this.entries.push(...structuredClone(entries));
    return Promise.resolve();
  }

  replay(onEntry: (entry: JournalEntry) => void): Promise<JournalStats> {
    for (const e of this.entries) onEntry(structuredClone(e));
    return Promise.resolve({ entries: this.entries.length, skippedLines: 0, files: 1 });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
