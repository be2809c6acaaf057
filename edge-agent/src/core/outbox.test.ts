import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "@loa/shared";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NodeDurableFs } from "../adapters/fs/node-fs.js";
import type { DurableFs } from "../ports/fs.js";
import { Outbox, OutboxError } from "./outbox.js";
import type { OutboxDeps, OutboxEvent } from "./outbox.js";

const log = pino({ level: "silent" });
let dir: string;
let clock: FakeClock;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "loa-outbox-"));
  clock = new FakeClock(Date.UTC(2026, 0, 1));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function openOutbox(opts: Partial<OutboxDeps> = {}): Promise<Outbox> {
  const outbox = new Outbox({ fs: new NodeDurableFs(), dir, clock, log, ...opts });
  await outbox.open();
  return outbox;
}

const play = (n: number) => ({ type: "play_finished", playId: `b1:${n}`, playedMs: 1000 });
const seqs = (events: OutboxEvent[] | undefined) => (events ?? []).map((e) => e.seq);
const journal = () => join(dir, "outbox.jsonl");

describe("Outbox seq (ARCHITECTURE §3 Nothing lost)", () => {
  it("hands out 1, 2, 3 ... stamps ts from the clock and keeps the fields", async () => {
    const ob = await openOutbox();
    expect(await ob.append(play(1))).toBe(1);
    expect(await ob.append({ ...play(2), ts: 42 })).toBe(2);
    const batch = ob.pending();
    expect(batch?.seq).toBe(2);
    expect(batch?.events[0]).toEqual({ type: "play_finished", playId: "b1:1", playedMs: 1000, seq: 1, ts: clock.now() });
    expect(batch?.events[1]?.ts).toBe(42);
  });

  it("a caller cannot choose the seq", async () => {
    const ob = await openOutbox();
    await ob.append({ type: "x", seq: 999 });
    expect(seqs(ob.pending()?.events)).toEqual([1]);
  });

  it("concurrent appends get increasing seqs in call order (group commit)", async () => {
    const ob = await openOutbox();
    const got = await Promise.all(Array.from({ length: 50 }, (_, i) => ob.append(play(i))));
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(ob.pending(1000)?.events.map((e) => e.playId)).toEqual(Array.from({ length: 50 }, (_, i) => `b1:${i}`));
  });

  it("a new instance on the same dir continues from max+1 and still has the events", async () => {
    const a = await openOutbox();
    await a.appendMany([play(1), play(2), play(3)]);
    await a.close();
    const b = await openOutbox();
    expect(seqs(b.pending()?.events)).toEqual([1, 2, 3]);
    expect(await b.append(play(4))).toBe(4);
  });

  it("skips a torn last line after a crash, continues above the last complete one, and appends cleanly", async () => {
    const a = await openOutbox();
    await a.appendMany([play(1), play(2), play(3)]);
    await appendFile(journal(), '{"ev":{"type":"play_finished","playId":"b1:4","pla');
    const b = await openOutbox();
    expect(seqs(b.pending()?.events)).toEqual([1, 2, 3]);
    expect(await b.append(play(5))).toBe(4);
    const c = await openOutbox();
    expect(seqs(c.pending()?.events)).toEqual([1, 2, 3, 4]);
    expect(c.pending()?.events[3]?.playId).toBe("b1:5");
  });

  it("skips a corrupt line in the middle (zeros after a power cut) and keeps the rest", async () => {
    const a = await openOutbox();
    await a.append(play(1));
    await appendFile(journal(), "\0\0\0\0\n");
    await appendFile(journal(), JSON.stringify({ ev: { type: "x", seq: 2, ts: 1 } }) + "\n");
    const b = await openOutbox();
    expect(seqs(b.pending()?.events)).toEqual([1, 2]);
    expect(await b.append(play(3))).toBe(3);
  });

  it("never reuses a seq after everything was acked and the journal compacted", async () => {
    const a = await openOutbox({ compactBytes: 1 });
    await a.appendMany([play(1), play(2), play(3)]);
    await a.ack(3);
    expect(a.depth()).toBe(0);
    const text = await readFile(journal(), "utf8");
    expect(text).toBe('{"hw":3}\n');
    const b = await openOutbox();
    expect(b.pending()).toBeNull();
    expect(await b.append(play(4))).toBe(4);
  });

  it("an ack above the last seq (journal lost, cloud remembers more) moves the counter past it, durably", async () => {
    const a = await openOutbox();
    await a.append(play(1));
    await a.ack(500);
    expect(await a.append(play(2))).toBe(501);
    const b = await openOutbox();
    expect(seqs(b.pending()?.events)).toEqual([501]);
    expect(await b.append(play(3))).toBe(502);
  });

  it("a seq whose write failed is never reused; the journal is rewritten before the next append", async () => {
    const real = new NodeDurableFs();
    let failNext = false;
    const flaky: DurableFs = Object.assign(Object.create(real) as NodeDurableFs, {
      appendJsonLines: async (path: string, records: readonly unknown[]) => {
        if (failNext) {
          failNext = false;
          await appendFile(path, '{"ev":{"seq":2,"type":"half'); // a half write, then the error
          throw new Error("EIO");
        }
        return real.appendJsonLines(path, records);
      },
    });
    const ob = await openOutbox({ fs: flaky });
    await ob.append(play(1));
    failNext = true;
    const err = await ob.append(play(2)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboxError);
    expect((err as OutboxError).code).toBe("outbox_write_failed");
    expect(await ob.append(play(3))).toBe(3);
    const b = await openOutbox();
    expect(b.pending()?.events.map((e) => [e.seq, e.playId])).toEqual([
      [1, "b1:1"],
      [3, "b1:3"],
    ]);
  });

  it("refuses an oversized event and use before open", async () => {
    const ob = await openOutbox({ maxEventBytes: 200 });
    await expect(ob.append({ type: "x", detail: "y".repeat(500) })).rejects.toMatchObject({ code: "outbox_event_too_large" });
    const closed = new Outbox({ fs: new NodeDurableFs(), dir, clock, log });
    expect(() => closed.pending()).not.toThrow();
    await expect(closed.append(play(1))).rejects.toMatchObject({ code: "outbox_not_open" });
    await expect(closed.ack(1)).rejects.toBeInstanceOf(OutboxError);
  });
});

describe("Outbox ack and pending", () => {
  it("pending returns the oldest unacked in order, bounded by count and bytes, stable until acked", async () => {
    const ob = await openOutbox();
    await ob.appendMany(Array.from({ length: 10 }, (_, i) => play(i)));
    expect(ob.pending(4)).toEqual(ob.pending(4));
    expect(seqs(ob.pending(4)?.events)).toEqual([1, 2, 3, 4]);
    expect(ob.pending(4)?.seq).toBe(4);
    const one = ob.pending(100, 10)?.events;
    expect(seqs(one)).toEqual([1]); // always at least one, whatever the byte cap
    expect(await ob.ack(4)).toBe(4);
    expect(seqs(ob.pending(3)?.events)).toEqual([5, 6, 7]);
    expect(await ob.ack(2)).toBe(0); // an old, duplicate ack changes nothing
    expect(ob.stats()).toMatchObject({ depth: 6, lastSeq: 10, ackedSeq: 4 });
  });

  it("acks survive a restart; unacked events are resent after it in the same order", async () => {
    const a = await openOutbox();
    await a.appendMany(Array.from({ length: 6 }, (_, i) => play(i)));
    await a.ack(2);
    const b = await openOutbox();
    expect(seqs(b.pending()?.events)).toEqual([3, 4, 5, 6]);
    expect(b.stats().ackedSeq).toBe(2);
  });

  it("compacts the journal after acks so it does not grow without bound", async () => {
    const ob = await openOutbox({ compactBytes: 4096 });
    for (let round = 0; round < 20; round++) {
      await ob.appendMany(Array.from({ length: 20 }, (_, i) => play(i)));
      await ob.ack(ob.stats().lastSeq - 1);
    }
    expect((await stat(journal())).size).toBeLessThan(8192);
    const b = await openOutbox();
    expect(seqs(b.pending()?.events)).toEqual([400]);
  });

  it("rejects a malformed ack", async () => {
    const ob = await openOutbox();
    await expect(ob.ack(-1)).rejects.toMatchObject({ code: "outbox_bad_ack" });
    await expect(ob.ack(1.5)).rejects.toMatchObject({ code: "outbox_bad_ack" });
  });

  it("tells listeners when new events are durable", async () => {
    const ob = await openOutbox();
    const seen: number[] = [];
    const off = ob.onAppended(() => seen.push(ob.depth()));
    await ob.append(play(1));
    off();
    await ob.append(play(2));
    expect(seen).toEqual([1]);
  });
});

describe("Outbox bound: drops are reported, never silent", () => {
  it("drops the oldest expendable events first and records outbox_dropped{count, fromSeq, toSeq}", async () => {
    const ob = await openOutbox({ maxEvents: 6 });
    await ob.append({ type: "media_ready", sha256: "a" }); // 1
    await ob.append(play(2)); // 2
    await ob.append({ type: "plan_applied", version: 3 }); // 3
    await ob.append(play(4)); // 4
    await ob.append({ type: "media_ready", sha256: "b" }); // 5
    await ob.append(play(6)); // 6
    expect(ob.depth()).toBe(6);
    expect(await ob.append(play(7))).toBe(7); // 7 events + notice: two must go
    const events = ob.pending(100)?.events ?? [];
    expect(events.map((e) => e.type)).toEqual([
      "play_finished",
      "play_finished",
      "media_ready",
      "play_finished",
      "play_finished",
      "outbox_dropped",
    ]);
    expect(events[5]).toMatchObject({ type: "outbox_dropped", count: 2, fromSeq: 1, toSeq: 3, seq: 8 });
    expect(ob.stats().dropped).toBe(2);
    const reopened = await openOutbox({ maxEvents: 6 });
    expect(seqs(reopened.pending()?.events)).toEqual([2, 4, 5, 6, 7, 8]);
  });

  it("drops the oldest events of any kind when nothing expendable is left", async () => {
    const ob = await openOutbox({ maxEvents: 4 });
    await ob.appendMany([play(1), play(2), play(3), play(4)]);
    await ob.append(play(5));
    const events = ob.pending()?.events ?? [];
    expect(seqs(events)).toEqual([3, 4, 5, 6]);
    expect(events[3]).toMatchObject({ type: "outbox_dropped", count: 2, fromSeq: 1, toSeq: 2 });
  });

  it("respects the byte bound too", async () => {
    const ob = await openOutbox({ maxBytes: 2000, maxEventBytes: 500 });
    for (let i = 0; i < 30; i++) await ob.append({ type: "amp_fault", code: "over_temperature", detail: "x".repeat(100) });
    const s = ob.stats();
    expect(s.bytes).toBeLessThanOrEqual(2000);
    expect(s.dropped).toBeGreaterThan(0);
    const events = ob.pending(1000)?.events ?? [];
    expect(events.some((e) => e.type === "outbox_dropped")).toBe(true);
    expect(seqs(events)).toEqual([...seqs(events)].sort((x, y) => x - y));
  });

  it("a burst bigger than the bound in one batch keeps the newest and reports the rest", async () => {
    const ob = await openOutbox({ maxEvents: 3 });
    const got = await ob.appendMany(Array.from({ length: 10 }, (_, i) => play(i)));
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const events = ob.pending()?.events ?? [];
    expect(seqs(events)).toEqual([9, 10, 11]);
    expect(events[2]).toMatchObject({ type: "outbox_dropped", count: 8, fromSeq: 1, toSeq: 8 });
    const raw = await readFile(journal(), "utf8");
    expect(raw).not.toContain('"playId":"b1:0"'); // dropped within the batch: never written
  });

  it("a journal written by a run with a larger bound is trimmed on the next append", async () => {
    const a = await openOutbox({ maxEvents: 100 });
    await a.appendMany(Array.from({ length: 10 }, (_, i) => play(i)));
    const b = await openOutbox({ maxEvents: 5 });
    expect(b.depth()).toBe(10);
    await b.append(play(11));
    expect(b.depth()).toBe(5);
    expect(b.pending()?.events.at(-1)).toMatchObject({ type: "outbox_dropped", count: 7, fromSeq: 1, toSeq: 7 });
  });
});

describe("Outbox journal file", () => {
  it("ignores records of unknown shape", async () => {
    await writeFile(journal(), ['{"hw":2}', '"text"', "[1,2]", '{"ev":{"seq":"3"}}', '{"ev":{"seq":3,"type":"x","ts":1}}'].join("\n") + "\n");
    const ob = await openOutbox();
    expect(seqs(ob.pending()?.events)).toEqual([3]);
    expect(await ob.append(play(1))).toBe(4);
  });
});
