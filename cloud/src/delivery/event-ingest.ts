/**
 * Device events in, acks out (ARCHITECTURE §3 "Nothing lost"): each `(deviceId, seq)` is stored once. A
 * batch's new events go to the journal (`kind: "event"`) together with the play changes they make, and the
 * `ack {upToSeq}` is published only after that append resolved, i.e. once it is durable. A batch already
 * stored (a QoS 1 duplicate, or a resend after a lost ack) is acked again at once.
 *
 * The ack is the highest seq ever stored for the device when that is above the batch's: a device whose
 * storage was replaced starts counting from 1 again, and such an ack makes its outbox jump past every seq
 * the cloud already holds (otherwise its new events would look like duplicates forever).
 *
 * Batches of one device are handled one after the other (a promise chain per device), so a duplicate that
 * arrives while the first copy is being written waits for it and is then recognised.
 *
 * Appends go through a SlicedJournal: the batches of one turn of the event loop are written together and
 * answered (stored, acked) a slice at a time, so a burst from every receiver at once does not hold the
 * event loop (docs/performance.md, ingest). A duplicate batch's ack waits its turn there too.
 */
import { errorMessage, type Clock, type DeviceEvent, type EventsPayload } from "@loa/shared";
import type { Logger } from "pino";
import type { Journal, JournalEntry } from "../ports/store.js";
import type { DeliveryBus } from "./bus.js";
import type { PlayBook, PlayLookup } from "./play-book.js";
import { SlicedJournal } from "./sliced-journal.js";

/** Seqs remembered individually below the highest one; anything older counts as seen. */
export const SEEN_WINDOW = 2048;

export interface EventIngestDeps {
  journal: Pick<Journal, "append">;
  bus: Pick<DeliveryBus, "publishAck">;
  book: PlayBook;
  clock: Clock;
  log: Logger;
  /** Is this a provisioned device? Events of others are dropped (not acked). */
  known: (deviceId: string) => boolean;
  lookup: PlayLookup;
  /** Batches answered per turn of the event loop; default INGEST_SLICE. */
  sliceSize?: number;
  /** Resolves after the event loop had a turn; default `setImmediate`. */
  yieldTurn?: () => Promise<void>;
}

export interface EventIngestStats {
  batches: number;
  /** Events stored (each (deviceId, seq) once). */
  stored: number;
  /** Events received again and not stored twice. */
  duplicates: number;
  /** Batches with nothing new (acked again at once). */
  duplicateBatches: number;
  acks: number;
  ackErrors: number;
  /** Batches not stored because the journal failed (not acked: the device sends them again). */
  storeErrors: number;
  unknownDevice: number;
}

class SeqState {
  maxSeq = 0;
  private readonly seen = new Set<number>();

  has(seq: number): boolean {
    return seq <= this.maxSeq - SEEN_WINDOW || this.seen.has(seq);
  }

  add(seq: number): void {
    this.seen.add(seq);
    if (seq > this.maxSeq) this.maxSeq = seq;
    if (this.seen.size > SEEN_WINDOW * 1.5) {
      const floor = this.maxSeq - SEEN_WINDOW;
      for (const s of this.seen) if (s <= floor) this.seen.delete(s);
    }
  }
}

export class EventIngest {
  private readonly devices = new Map<string, SeqState>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly counts: EventIngestStats = { batches: 0, stored: 0, duplicates: 0, duplicateBatches: 0, acks: 0, ackErrors: 0, storeErrors: 0, unknownDevice: 0 };
  private readonly slices: SlicedJournal;

  constructor(private readonly deps: EventIngestDeps) {
    this.slices = new SlicedJournal({ journal: deps.journal, ...(deps.sliceSize ? { sliceSize: deps.sliceSize } : {}), ...(deps.yieldTurn ? { yieldTurn: deps.yieldTurn } : {}) });
  }

  stats(): EventIngestStats {
    return { ...this.counts };
  }

  /** One `kind: "event"` journal line at start-up. */
  replayEntry(entry: JournalEntry): void {
    if (entry.kind !== "event" || typeof entry.deviceId !== "string" || typeof entry.seq !== "number") return;
    this.state(entry.deviceId).add(entry.seq);
  }

  /** An `events` batch from a device; resolves when it is handled (stored and acked, or refused). */
  onBatch(deviceId: string, batch: EventsPayload): Promise<void> {
    if (!this.deps.known(deviceId)) {
      this.counts.unknownDevice++;
      this.deps.log.warn({ deviceId, seq: batch.seq }, "events from an unknown device dropped");
      return Promise.resolve();
    }
    const before = this.chains.get(deviceId) ?? Promise.resolve();
    const run = before.then(() => this.handle(deviceId, batch));
    const tail = run.catch((err: unknown) => this.deps.log.error({ deviceId, err: errorMessage(err) }, "events batch not handled"));
    this.chains.set(deviceId, tail);
    void tail.then(() => {
      if (this.chains.get(deviceId) === tail) this.chains.delete(deviceId);
    });
    return tail;
  }

  /** Wait for every batch in hand (shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  private async handle(deviceId: string, batch: EventsPayload): Promise<void> {
    this.counts.batches++;
    const st = this.state(deviceId);
    const fresh = batch.events.filter((e) => !st.has(e.seq));
    this.counts.duplicates += batch.events.length - fresh.length;
    if (fresh.length === 0) {
      this.counts.duplicateBatches++;
      await this.slices.append([]);
    } else if (!(await this.store(deviceId, st, fresh))) return;
    await this.ack(deviceId, Math.max(batch.seq, st.maxSeq));
  }

  /** Journal the events and their play changes in one append; false when it failed (then no ack). */
  private async store(deviceId: string, st: SeqState, fresh: DeviceEvent[]): Promise<boolean> {
    const now = this.deps.clock.now();
    const step = this.deps.book.fromEvents(deviceId, fresh, this.deps.lookup, now);
    const lines: JournalEntry[] = fresh.map((event) => ({ kind: "event", ts: now, deviceId, seq: event.seq, event }));
    try {
      await this.slices.append(step.entries.length === 0 ? lines : [...lines, ...step.entries]);
    } catch (err) {
      this.counts.storeErrors++;
      this.deps.log.error({ deviceId, seqs: [fresh[0]?.seq, fresh[fresh.length - 1]?.seq], err: errorMessage(err) }, "events not stored: no ack, the device will send them again");
      return false;
    }
    for (const e of fresh) st.add(e.seq);
    this.counts.stored += fresh.length;
    this.deps.book.emit(step.changes);
    return true;
  }

  private async ack(deviceId: string, upToSeq: number): Promise<void> {
    try {
      await this.deps.bus.publishAck(deviceId, { upToSeq });
      this.counts.acks++;
    } catch (err) {
      // The device resends the batch after its ack timeout; it is then a duplicate and acked again.
      this.counts.ackErrors++;
      this.deps.log.warn({ deviceId, upToSeq, err: errorMessage(err) }, "ack not published");
    }
  }

  private state(deviceId: string): SeqState {
    let st = this.devices.get(deviceId);
    if (!st) {
      st = new SeqState();
      this.devices.set(deviceId, st);
    }
    return st;
  }
}
