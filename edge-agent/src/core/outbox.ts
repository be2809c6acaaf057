/**
 * The persistent outbox of device events (ARCHITECTURE §3 "Nothing lost", topics `events` and `ack`).
 *
 * On disk: one JSON Lines journal `<dir>/outbox.jsonl`, appended with one fdatasync per batch (group
 * commit) and rewritten atomically (compaction) after acks and on open. Records:
 *   `{"hw":N}`          highest seq ever handed out (first line after a compaction)
 *   `{"ev":{seq,...}}`  one event
 *   `{"ack":N}`         the cloud stored every event with seq <= N
 *   `{"del":[seq..]}`   events dropped because the outbox was full
 * A seq is given to an event only when its batch is written, and `append` resolves (the seq is "handed
 * out") only after the fdatasync, so every handed-out seq is on disk and the next process continues above
 * it, even after kill -9 or a power cut. A torn last line (a write cut by a crash) was never confirmed and is
 * skipped. `pending()` shows only durable events, so nothing leaves the device that a crash could forget.
 *
 * Not supported: two processes on one directory (systemd runs one agent).
 */
import type { Clock } from "@loa/shared";
import { LoaError } from "@loa/shared";
import type { Logger } from "pino";
import { join } from "node:path";
import type { DurableFs } from "../ports/fs.js";
import { Serial } from "../lib/serial.js";

// TODO(protocol): swap for DeviceEvent / EventsPayload from @loa/shared (shared/src/protocol/events.ts).
/** What a caller appends; `ts` (epoch ms) defaults to the clock's now. */
export interface OutboxEventInput {
  type: string;
  ts?: number;
  [key: string]: unknown;
}
/** A stored event: the input plus its per-device `seq` and `ts`. */
export interface OutboxEvent {
  type: string;
  seq: number;
  ts: number;
  [key: string]: unknown;
}
/** Payload of `loa/v1/dev/{id}/events`: `seq` is the last (highest) event seq, answered by `ack {upToSeq: seq}`. */
export interface OutboxBatch {
  seq: number;
  events: OutboxEvent[];
}

export interface OutboxStats {
  /** Unacked events. */
  depth: number;
  /** Journal bytes of the unacked events. */
  bytes: number;
  /** Highest seq handed out (0 before the first event). */
  lastSeq: number;
  /** Highest seq the cloud acknowledged. */
  ackedSeq: number;
  /** Events dropped (outbox full) since this process started. */
  dropped: number;
}

export interface OutboxDeps {
  fs: DurableFs;
  /** Directory of the journal (created if missing). */
  dir: string;
  clock: Clock;
  log: Logger;
  /** Most unacked events kept (default 20 000). */
  maxEvents?: number;
  /** Most journal bytes of unacked events kept (default 8 MiB). */
  maxBytes?: number;
  /** Largest single event, serialized (default 16 KiB); bigger ones are refused. */
  maxEventBytes?: number;
  /** Events dropped first when full (default: types in EXPENDABLE_EVENT_TYPES). */
  expendable?: (event: OutboxEvent) => boolean;
  /** Rewrite the journal once it is this big and more than twice the live bytes (default 256 KiB). */
  compactBytes?: number;
}

/**
 * Dropped first when the outbox is full: facts the cloud can re-derive (a newer plan_applied or media_ready
 * replaces them). Proof of play and amplifier faults go only when nothing else is left.
 */
export const EXPENDABLE_EVENT_TYPES: ReadonlySet<string> = new Set(["plan_applied", "media_ready", "telemetry"]);

export class OutboxError extends LoaError {}

interface Entry {
  event: OutboxEvent;
  bytes: number;
}

interface Waiter {
  input: OutboxEventInput;
  resolve: (seq: number) => void;
  reject: (err: unknown) => void;
}

/** Room kept for the outbox_dropped event itself when choosing what to drop. */
const DROP_EVENT_RESERVE = 200;
const JOURNAL = "outbox.jsonl";

export class Outbox {
  private readonly path: string;
  private readonly maxEvents: number;
  private readonly maxBytes: number;
  private readonly maxEventBytes: number;
  private readonly compactBytes: number;
  private readonly expendable: (event: OutboxEvent) => boolean;
  private entries: Entry[] = [];
  private liveBytes = 0;
  private journalBytes = 0;
  private lastSeq = 0;
  private ackedSeq = 0;
  private droppedTotal = 0;
  private opened = false;
  /** A write failed half way: rewrite the journal from memory before the next append. */
  private dirty = false;
  private buffer: Waiter[] = [];
  private flushQueued = false;
  private readonly serial = new Serial();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly deps: OutboxDeps) {
    this.path = join(deps.dir, JOURNAL);
    this.maxEvents = deps.maxEvents ?? 20_000;
    this.maxBytes = deps.maxBytes ?? 8 * 1024 * 1024;
    this.maxEventBytes = Math.min(deps.maxEventBytes ?? 16 * 1024, Math.floor(this.maxBytes / 2));
    this.compactBytes = deps.compactBytes ?? 256 * 1024;
    this.expendable = deps.expendable ?? ((e) => EXPENDABLE_EVENT_TYPES.has(e.type));
  }

  /** Load the journal, skip a torn tail, and rewrite it compactly. Call once before anything else. */
  async open(): Promise<void> {
    await this.deps.fs.mkdirp(this.deps.dir);
    const read = await this.deps.fs.readJsonLines(this.path);
    if (read) {
      for (const rec of read.records) this.replay(rec);
      if (read.torn) this.deps.log.warn({ path: this.path }, "outbox journal: torn last line skipped (crash while writing)");
      if (read.bad > 0) this.deps.log.error({ path: this.path, bad: read.bad }, "outbox journal: corrupt lines skipped");
    }
    await this.compact();
    this.opened = true;
    this.deps.log.info({ depth: this.entries.length, lastSeq: this.lastSeq }, "outbox opened");
  }

  /** Store one event durably; resolves with its seq once it is on disk. */
  append(input: OutboxEventInput): Promise<number> {
    if (!this.opened) return Promise.reject(notOpen());
    const size = Buffer.byteLength(JSON.stringify({ ev: { ...input, seq: Number.MAX_SAFE_INTEGER, ts: 0 } }));
    if (size > this.maxEventBytes) {
      return Promise.reject(
        new OutboxError("outbox_event_too_large", `event ${input.type} is ${size} bytes, over ${this.maxEventBytes}`),
      );
    }
    return new Promise<number>((resolve, reject) => {
      this.buffer.push({ input, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** Store several events in one write; resolves with their seqs in order. */
  appendMany(inputs: readonly OutboxEventInput[]): Promise<number[]> {
    return Promise.all(inputs.map((e) => this.append(e)));
  }

  /** The oldest unacked events, in seq order, at most `limit` and about `maxBytes` of JSON (at least one). */
  pending(limit = 100, maxBytes = 512 * 1024): OutboxBatch | null {
    const events: OutboxEvent[] = [];
    let bytes = 0;
    for (const entry of this.entries) {
      if (events.length >= limit || (events.length > 0 && bytes + entry.bytes > maxBytes)) break;
      events.push(entry.event);
      bytes += entry.bytes;
    }
    const last = events[events.length - 1];
    return last ? { seq: last.seq, events } : null;
  }

  /**
   * The cloud stored every event up to `upToSeq`: forget them. An ack above the last seq handed out means
   * this device's journal was lost (new SD card) while the cloud remembers more: the counter jumps above it
   * so new events are not taken for duplicates.
   */
  ack(upToSeq: number): Promise<number> {
    if (!this.opened) return Promise.reject(notOpen());
    return this.serial.run(() => this.doAck(upToSeq));
  }

  depth(): number {
    return this.entries.length;
  }

  stats(): OutboxStats {
    return {
      depth: this.entries.length,
      bytes: this.liveBytes,
      lastSeq: this.lastSeq,
      ackedSeq: this.ackedSeq,
      dropped: this.droppedTotal,
    };
  }

  /** Called after new events became durable (to wake the sender). Returns the unsubscribe function. */
  onAppended(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Wait for every queued write. */
  async close(): Promise<void> {
    // A flush scheduled by an append is already in the queue ahead of this no-op.
    await this.serial.run(() => Promise.resolve());
  }

  private replay(rec: unknown): void {
    if (typeof rec !== "object" || rec === null) return;
    const r = rec as Record<string, unknown>;
    if (isSeq(r.hw)) this.lastSeq = Math.max(this.lastSeq, r.hw);
    if (isSeq(r.ack)) {
      this.lastSeq = Math.max(this.lastSeq, r.ack);
      this.removeUpTo(r.ack);
    }
    if (Array.isArray(r.del)) this.removeSeqs(new Set(r.del.filter(isSeq)));
    if (!isEvent(r.ev)) return;
    this.lastSeq = Math.max(this.lastSeq, r.ev.seq);
    // Kept in seq order; an event at or below the newest kept one or the ack is a stale duplicate.
    const newest = this.entries[this.entries.length - 1]?.event.seq ?? 0;
    if (r.ev.seq > newest && r.ev.seq > this.ackedSeq) this.add({ event: r.ev, bytes: lineBytes({ ev: r.ev }) });
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    void this.serial.run(() => this.flush()).catch(() => {
      // Rejections reach each append's own promise; nothing more to do here.
    });
  }

  /** Group commit: every event appended since the last flush goes out in one write + fdatasync. */
  private async flush(): Promise<void> {
    this.flushQueued = false;
    const waiters = this.buffer.splice(0);
    if (waiters.length === 0) return;
    const seqBefore = this.lastSeq;
    const now = this.deps.clock.now();
    const fresh: Entry[] = waiters.map((w) => {
      const event: OutboxEvent = { ...w.input, type: w.input.type, ts: w.input.ts ?? now, seq: ++this.lastSeq };
      return { event, bytes: lineBytes({ ev: event }) };
    });
    const victims = this.chooseVictims(fresh);
    const kept = fresh.filter((e) => !victims.includes(e));
    const dropEntry = victims.length > 0 ? this.dropEvent(victims, now) : undefined;
    const records = this.recordsFor(victims, seqBefore, kept, dropEntry);
    try {
      if (this.dirty) await this.compact();
      await this.deps.fs.appendJsonLines(this.path, records);
    } catch (err) {
      this.dirty = true;
      const wrapped = new OutboxError("outbox_write_failed", "outbox journal write failed", undefined, { cause: err });
      for (const w of waiters) w.reject(wrapped);
      return;
    }
    this.journalBytes += records.reduce<number>((n, r) => n + lineBytes(r), 0);
    this.commit(victims, kept, dropEntry);
    waiters.forEach((w, i) => w.resolve(fresh[i]?.event.seq ?? 0));
    this.notify();
  }

  /** Journal records of one flush: deletions of already stored victims, the kept new events, the notice. */
  private recordsFor(victims: Entry[], seqBefore: number, kept: Entry[], dropEntry: Entry | undefined): unknown[] {
    const records: unknown[] = [];
    const stored = victims.filter((e) => e.event.seq <= seqBefore).map((e) => e.event.seq);
    if (stored.length > 0) records.push({ del: stored });
    for (const e of kept) records.push({ ev: e.event });
    if (dropEntry) records.push({ ev: dropEntry.event });
    return records;
  }

  private commit(victims: Entry[], kept: Entry[], dropEntry: Entry | undefined): void {
    if (victims.length > 0) {
      this.removeSeqs(new Set(victims.map((v) => v.event.seq)));
      this.droppedTotal += victims.length;
      const notice = dropEntry?.event;
      this.deps.log.warn({ count: victims.length, fromSeq: notice?.fromSeq, toSeq: notice?.toSeq }, "outbox full: dropped events");
    }
    for (const e of kept) this.add(e);
    if (dropEntry) this.add(dropEntry);
  }

  private notify(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (err) {
        this.deps.log.error({ err }, "outbox listener threw");
      }
    }
  }

  /** Oldest expendable events first, then the oldest of any kind, until the rest plus the notice fits. */
  private chooseVictims(fresh: Entry[]): Entry[] {
    const all = [...this.entries, ...fresh];
    let count = all.length;
    let bytes = this.liveBytes + fresh.reduce((n, e) => n + e.bytes, 0);
    const fits = (): boolean => count + 1 <= this.maxEvents && bytes + DROP_EVENT_RESERVE <= this.maxBytes;
    if (count <= this.maxEvents && bytes <= this.maxBytes) return [];
    const victims = new Set<Entry>();
    const take = (pred: (e: Entry) => boolean): void => {
      for (const e of all) {
        if (fits()) return;
        if (victims.has(e) || !pred(e)) continue;
        victims.add(e);
        count--;
        bytes -= e.bytes;
      }
    };
    take((e) => this.expendable(e.event));
    take(() => true);
    return all.filter((e) => victims.has(e));
  }

  private dropEvent(victims: Entry[], ts: number): Entry {
    const seqs = victims.map((v) => v.event.seq);
    const event: OutboxEvent = {
      type: "outbox_dropped",
      ts,
      count: victims.length,
      fromSeq: Math.min(...seqs),
      toSeq: Math.max(...seqs),
      seq: ++this.lastSeq,
    };
    return { event, bytes: lineBytes({ ev: event }) };
  }

  private async doAck(upToSeq: number): Promise<number> {
    if (!Number.isSafeInteger(upToSeq) || upToSeq < 0) {
      throw new OutboxError("outbox_bad_ack", `ack upToSeq must be a non-negative integer, got ${upToSeq}`);
    }
    if (upToSeq <= this.ackedSeq && upToSeq <= this.lastSeq) return 0;
    if (upToSeq > this.lastSeq) {
      this.deps.log.warn({ upToSeq, lastSeq: this.lastSeq }, "ack above the last seq: journal was lost, seq jumps ahead");
    }
    const before = this.entries.length;
    const record = { ack: upToSeq };
    if (this.dirty) await this.compact();
    await this.deps.fs.appendJsonLines(this.path, [record]);
    this.journalBytes += lineBytes(record);
    this.lastSeq = Math.max(this.lastSeq, upToSeq);
    this.removeUpTo(upToSeq);
    if (this.journalBytes >= this.compactBytes && this.journalBytes > 2 * this.liveBytes) await this.compact();
    return before - this.entries.length;
  }

  /** Rewrite the journal with only what is live: the seq high-water mark and the unacked events. */
  private async compact(): Promise<void> {
    const lines = [JSON.stringify({ hw: this.lastSeq }), ...this.entries.map((e) => JSON.stringify({ ev: e.event }))];
    const text = lines.join("\n") + "\n";
    await this.deps.fs.writeAtomic(this.path, text);
    this.journalBytes = Buffer.byteLength(text);
    this.dirty = false;
  }

  private add(entry: Entry): void {
    this.entries.push(entry);
    this.liveBytes += entry.bytes;
  }

  private removeUpTo(upToSeq: number): void {
    this.ackedSeq = Math.max(this.ackedSeq, upToSeq);
    let i = 0;
    while (i < this.entries.length && (this.entries[i]?.event.seq ?? 0) <= upToSeq) {
      this.liveBytes -= this.entries[i]?.bytes ?? 0;
      i++;
    }
    if (i > 0) this.entries = this.entries.slice(i);
  }

  private removeSeqs(seqs: Set<number>): void {
    if (seqs.size === 0) return;
    this.entries = this.entries.filter((e) => {
      if (!seqs.has(e.event.seq)) return true;
      this.liveBytes -= e.bytes;
      return false;
    });
  }

}

function notOpen(): OutboxError {
  return new OutboxError("outbox_not_open", "Outbox.open() must finish before use");
}

function isSeq(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function isEvent(v: unknown): v is OutboxEvent {
  if (typeof v !== "object" || v === null) return false;
  const e = v as Record<string, unknown>;
  return isSeq(e.seq) && e.seq >= 1 && typeof e.type === "string" && typeof e.ts === "number";
}

function lineBytes(record: unknown): number {
  return Buffer.byteLength(JSON.stringify(record)) + 1;
}
