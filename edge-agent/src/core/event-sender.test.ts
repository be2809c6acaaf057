/** EventSender on a MemoryLink and a FakeClock, over a fake outbox (ARCHITECTURE §3 "Nothing lost"). */
import { describe, expect, it } from "vitest";
import { FakeClock } from "@loa/shared";
import { pino } from "pino";
import { MemoryLink } from "../testing/memory-link.js";
import { EventSender } from "./event-sender.js";
import type { OutboxBatch, OutboxEvent } from "./outbox.js";

const log = pino({ level: "silent" });

/** The part of the Outbox the sender uses, in memory. */
class FakeOutbox {
  events: OutboxEvent[] = [];
  acked: number[] = [];
  private seq = 0;
  private readonly listeners = new Set<() => void>();

  add(...inputs: Record<string, unknown>[]): void {
    for (const i of inputs) this.events.push({ type: "plan_applied", version: 1, ...i, seq: ++this.seq, ts: 1_000 });
    for (const l of this.listeners) l();
  }

  pending(limit = 100): OutboxBatch | null {
    const events = this.events.slice(0, limit);
    const last = events[events.length - 1];
    return last ? { seq: last.seq, events } : null;
  }

  ack(upToSeq: number): Promise<number> {
    this.acked.push(upToSeq);
    const before = this.events.length;
    this.events = this.events.filter((e) => e.seq > upToSeq);
    return Promise.resolve(before - this.events.length);
  }

  onAppended(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

async function setup(opts: { followOnline?: boolean } = {}) {
  const clock = new FakeClock();
  const link = new MemoryLink({ clock });
  const outbox = new FakeOutbox();
  const sender = new EventSender({ outbox, link, clock, log, ackTimeoutMs: 5_000, batchEvents: 2, ...opts });
  sender.start();
  await link.start();
  const batches = () => link.sentOf("events");
  return { clock, link, outbox, sender, batches };
}

describe("EventSender", () => {
  it("keeps one batch in flight; each ack sends the next, oldest first", async () => {
    const { clock, link, outbox, batches } = await setup();
    outbox.add({ version: 1 }, { version: 2 }, { version: 3 });
    await clock.advance(0);
    expect(batches().map((b) => b.seq)).toEqual([2]);
    outbox.add({ version: 4 });
    await clock.advance(0);
    expect(batches()).toHaveLength(1);
    link.deliver("ack", { upToSeq: 2 });
    await clock.advance(0);
    expect(batches().map((b) => [b.seq, b.events.map((e) => e.seq)])).toEqual([[2, [1, 2]], [4, [3, 4]]]);
    link.deliver("ack", { upToSeq: 4 });
    await clock.advance(0);
    expect(outbox.events).toEqual([]);
    expect(batches()).toHaveLength(2);
  });

  it("an ack below the batch in flight does not release it", async () => {
    const { clock, link, outbox, batches } = await setup();
    outbox.add({ version: 1 }, { version: 2 }, { version: 3 });
    await clock.advance(0);
    link.deliver("ack", { upToSeq: 1 });
    await clock.advance(0);
    expect(batches()).toHaveLength(1);
  });

  it("sends nothing while offline and resends the oldest unacked batch after a reconnect, in order", async () => {
    const { clock, link, outbox, batches } = await setup();
    outbox.add({ version: 1 });
    await clock.advance(0);
    link.disconnect();
    outbox.add({ version: 2 });
    await clock.advance(10_000);
    expect(batches().map((b) => b.seq)).toEqual([1]);
    link.reconnect();
    await clock.advance(0);
    expect(batches().map((b) => b.events.map((e) => e.seq))).toEqual([[1], [1, 2]]);
    expect(link.sentOf("events").length).toBe(2);
  });

  it("with followOnline false waits for reconnected() (the agent mutes the amplifier first)", async () => {
    const { clock, link, outbox, sender, batches } = await setup({ followOnline: false });
    link.disconnect();
    outbox.add({ version: 1 });
    link.reconnect();
    await clock.advance(0);
    expect(batches()).toEqual([]);
    sender.reconnected();
    await clock.advance(0);
    expect(batches().map((b) => b.seq)).toEqual([1]);
  });

  it("resends a batch nobody acked within ackTimeoutMs", async () => {
    const { clock, outbox, batches, sender } = await setup();
    outbox.add({ version: 1 });
    await clock.advance(0);
    await clock.advance(4_999);
    expect(batches()).toHaveLength(1);
    await clock.advance(1);
    expect(batches().map((b) => b.seq)).toEqual([1, 1]);
    expect(sender.stats()).toMatchObject({ sent: 2, resent: 1 });
  });

  it("never lets an event that fails the schema block the outbox: skipped on the wire, acked locally", async () => {
    const { clock, link, outbox, batches, sender } = await setup();
    outbox.add({ type: "play_failed", playId: "bad id with spaces", reason: "x" }, { version: 7 });
    await clock.advance(0);
    expect(batches().map((b) => [b.seq, b.events.map((e) => e.type)])).toEqual([[2, ["plan_applied"]]]);
    link.deliver("ack", { upToSeq: 2 });
    await clock.advance(0);
    outbox.add({ type: "amp_fault", code: "Not Snake", detail: "" });
    await clock.advance(0);
    expect(outbox.events).toEqual([]);
    expect(outbox.acked).toEqual([2, 3]);
    expect(sender.stats().unsendable).toBe(2);
  });
});
