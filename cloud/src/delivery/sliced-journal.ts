/**
 * Journal appends of the event ingest, gathered and answered in slices (ARCHITECTURE §3 "Nothing lost", §8
 * "writes are batched"). When every receiver reports a play at the same second, 10,000 batches arrive at
 * once: one append each, resolved together when their group commit is durable, made the cloud run 10,000
 * continuations (index updates, acks published) without letting the event loop turn, 0.4–0.6 s in which no
 * HTTP request or timer ran (docs/performance.md, ingest).
 *
 * Here the appends that arrive in one turn of the event loop go out as one journal append of at most
 * `sliceSize` callers, and once an append is durable its callers are answered `sliceSize` at a time with
 * a turn of the event loop between slices. A caller is answered only after the append holding its entries
 * resolved; when a combined append fails, each caller's entries are tried alone, so one bad entry fails
 * only its own caller.
 */
import { nextTurn } from "@loa/shared";
import type { Journal, JournalEntry } from "../ports/store.js";

/** Callers answered per turn of the event loop, and most callers per journal append. */
export const INGEST_SLICE = 200;

export interface SlicedJournalDeps {
  journal: Pick<Journal, "append">;
  /** Default INGEST_SLICE. */
  sliceSize?: number;
  /** Resolves after the event loop had a turn (I/O, timers); default `setImmediate`. */
  yieldTurn?: () => Promise<void>;
}

interface Waiting {
  entries: readonly JournalEntry[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** One caller's outcome, once its entries are durable (or failed). */
type Outcome = { w: Waiting; err?: unknown; failed: boolean };

export class SlicedJournal {
  private readonly journal: Pick<Journal, "append">;
  private readonly size: number;
  private readonly yieldTurn: () => Promise<void>;
  private intake: Waiting[] = [];
  private pumping = false;
  private readonly outcomes: Outcome[] = [];
  private answering = false;

  constructor(deps: SlicedJournalDeps) {
    this.journal = deps.journal;
    this.size = Math.max(1, deps.sliceSize ?? INGEST_SLICE);
    this.yieldTurn = deps.yieldTurn ?? nextTurn;
  }

  /**
   * Resolves once `entries` are durable. Nothing to write (a duplicate batch, acked again) is answered at
   * once when no slice is waiting, else in its turn behind them (a burst of resends is paced too).
   */
  append(entries: readonly JournalEntry[]): Promise<void> {
    if (entries.length === 0 && this.intake.length === 0 && this.outcomes.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.intake.push({ entries, resolve, reject });
      if (!this.pumping) void this.pump();
    });
  }

  /** Each turn: `size` callers' entries go to the journal in one append (not awaited: appends overlap). */
  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.intake.length > 0) {
        await this.yieldTurn();
        this.write(this.intake.splice(0, this.size));
      }
    } finally {
      this.pumping = false;
    }
  }

  private write(slice: Waiting[]): void {
    this.tryAppend(slice.flatMap((w) => w.entries)).then(
      () => this.done(slice.map((w) => ({ w, failed: false }))),
      (err: unknown) => (slice.length === 1 ? this.done([{ w: slice[0] as Waiting, err, failed: true }]) : this.oneByOne(slice)),
    );
  }

  /** A combined append failed: each caller's own entries alone, so a bad entry fails only its caller. */
  private oneByOne(slice: Waiting[]): void {
    for (const w of slice) {
      this.tryAppend(w.entries).then(
        () => this.done([{ w, failed: false }]),
        (err: unknown) => this.done([{ w, err, failed: true }]),
      );
    }
  }

  private tryAppend(entries: readonly JournalEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    try {
      return this.journal.append(...entries);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private done(outcomes: Outcome[]): void {
    for (const o of outcomes) this.outcomes.push(o);
    if (!this.answering) void this.answer();
  }

  /**
   * `size` callers now, then a turn of the event loop before the next `size`. The turn is taken after the
   * last slice too: appends made durable by one group commit resolve one after the other in the same
   * microtask run, and must queue here instead of each starting its own round.
   */
  private async answer(): Promise<void> {
    this.answering = true;
    try {
      while (this.outcomes.length > 0) {
        for (const o of this.outcomes.splice(0, this.size)) {
          if (o.failed) o.w.reject(o.err);
          else o.w.resolve();
        }
        await this.yieldTurn();
      }
    } finally {
      this.answering = false;
    }
  }
}
