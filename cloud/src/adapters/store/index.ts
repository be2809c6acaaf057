export { openStore, CATALOG_FILE, JOURNAL_DIR, type OpenStoreOptions } from "./open-store.js";
export { LowdbCatalog, type LowdbCatalogDeps } from "./lowdb-catalog.js";
export { JsonlJournal, journalFileFor, isJournalEntry, type JsonlJournalDeps } from "./jsonl-journal.js";
export { DurableJsonFile, type DurableJsonFileDeps } from "./durable-json-file.js";
export { CatalogSchema } from "./catalog-schema.js";
export { NodeFileSystem } from "./node-file-system.js";
export { MemoryFileSystem, type MemoryFileSystemOptions } from "./memory-file-system.js";
export { RecordingFileSystem, type FsOp, type FsOpRecord, type FsFault } from "./recording-file-system.js";
export {
  CatalogCorruptError,
  CatalogInvalidError,
  JournalEntryInvalidError,
  StoreClosedError,
  StoreWriteError,
} from "./errors.js";
