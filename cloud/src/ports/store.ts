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
