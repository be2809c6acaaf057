import { LoaError } from "@loa/shared";

/** The catalogue file exists but cannot be read back; startup stops so the operator can restore it. */
export class CatalogCorruptError extends LoaError {
  constructor(readonly path: string, problem: string, options?: { cause?: unknown }) {
    super(
      "store_catalog_corrupt",
      `Catalogue file ${path} is corrupt: ${problem}. Loa left it untouched and will not start over it; ` +
        `repair the file or restore it from a backup (or move it away to start with an empty catalogue).`,
      { path },
      options,
    );
  }
}

/** An update produced a catalogue that would not load again; it is refused and nothing is applied. */
export class CatalogInvalidError extends LoaError {
  constructor(problem: string) {
    super("store_catalog_invalid", `Catalogue change refused: ${problem}`, { problem });
  }
}

export class JournalEntryInvalidError extends LoaError {
  constructor(problem: string) {
    super("store_journal_entry_invalid", `Journal entry refused: ${problem}`, { problem });
  }
}

export class StoreClosedError extends LoaError {
  constructor(what: "catalog" | "journal") {
    super("store_closed", `The ${what} is closed`, { what });
  }
}

/** Writing to disk failed; the writes of the batch were not made durable (and, for the catalogue, rolled back). */
export class StoreWriteError extends LoaError {
  constructor(what: "catalog" | "journal", path: string, cause: unknown) {
    super("store_write_failed", `Could not write the ${what} at ${path}: ${String(cause)}`, { what, path }, { cause });
  }
}
