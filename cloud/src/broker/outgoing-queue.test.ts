/**
 * The indexed outgoing queues (outgoing-queue.ts, wired by indexOutgoing) against aedes' stock memory
 * persistence: the same operations in the same order, as aedes makes them (enqueue, update with the
 * delivered messageId, PUBREL replacing a packet, PUBACK clearing, a restart re-numbering the queue), give
 * the same answers, the same rejections and the same queue in the same order; and a PUBACK does not scan
 * its client's queue.
 */
import type { Readable } from "node:stream";
import aedesPersistence from "aedes-persistence";
import { describe, expect, it } from "vitest";
import { OutgoingQueue, type OutgoingPacket } from "./outgoing-queue.js";
import { indexOutgoing, indexedMemoryPersistence, type OutgoingStore } from "./retained-persistence.js";

const stock = (): OutgoingStore => (aedesPersistence as unknown as () => OutgoingStore)();

interface Pkt extends OutgoingPacket {
  cmd: string;
  topic?: string;
  payload?: Buffer;
  qos?: number;
}

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const show = (p: unknown): string => (p === undefined ? "undefined" : JSON.stringify(p));
const settled = async (p: Promise<unknown> | undefined): Promise<string> => {
  try {
    return `ok ${show(await p)}`;
  } catch (err) {
    return `rejected ${err instanceof Error ? err.message : String(err)}`;
  }
};
const read = async (s: Readable): Promise<string> => show(await s.toArray());

/** One random step, applied to both stores in the same way; returns both answers. */
async function step(r: () => number, stores: OutgoingStore[], state: { counter: number }): Promise<string[]> {
  const clients = ["cloud", "dev_a"];
  const client = { id: clients[Math.floor(r() * clients.length)] ?? "cloud" };
  const brokers = ["broker-1", "broker-1", "broker-1", "broker-2"];
  const op = r();
  const messageId = Math.floor(r() * 12) + 1; // few ids, so reuse and rotation collide often
  if (op < 0.3) {
    const packet: Pkt = { cmd: "publish", topic: "t", payload: Buffer.from(String(state.counter)), qos: 1, brokerId: brokers[Math.floor(r() * brokers.length)], brokerCounter: ++state.counter };
    if (r() < 0.05) packet.brokerCounter = state.counter - 1; // a repeated counter
    const both = r() < 0.3;
    return Promise.all(stores.map((s) => settled(both ? s.outgoingEnqueueCombi([{ clientId: client.id }, { clientId: "dev_b" }], packet) : s.outgoingEnqueue({ clientId: client.id }, packet))));
  }
  if (op < 0.55) {
    // Delivery: aedes numbers a copy of a queued packet and updates the queue with it.
    const queued = ((await stores[0]?.outgoingStream(client).toArray()) ?? []) as Pkt[];
    const pick = queued[Math.floor(r() * (queued.length + 1))];
    const update: Pkt = pick ? { ...pick, messageId } : { cmd: "publish", brokerId: "broker-1", brokerCounter: 99_999, messageId };
    return Promise.all(stores.map((s) => settled(s.outgoingUpdate(client, { ...update }))));
  }
  if (op < 0.65) {
    const pubrel: Pkt = { cmd: "pubrel", messageId };
    return Promise.all(stores.map((s) => settled(s.outgoingUpdate(client, { ...pubrel }))));
  }
  if (op < 0.95) {
    const id = r() < 0.05 ? undefined : messageId; // aedes clears an undelivered packet by its (undefined) id
    return Promise.all(stores.map((s) => settled(s.outgoingClearMessageId(client, { messageId: id }))));
  }
  return Promise.all(stores.map((s) => read(s.outgoingStream(client))));
}

describe("indexed outgoing queues", () => {
  it("answer every operation as the stock store does, and keep the same queues in the same order", async () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const r = rng(seed);
      const stores = [stock(), indexOutgoing(stock())];
      const state = { counter: 0 };
      for (let i = 0; i < 600; i++) {
        const [a, b] = await step(r, stores, state);
        expect(b, `seed ${seed} step ${i}`).toBe(a);
      }
      for (const id of ["cloud", "dev_a", "dev_b", "nobody"]) {
        const [a, b] = await Promise.all(stores.map((s) => read(s.outgoingStream({ id }))));
        expect(b, `seed ${seed} queue ${id}`).toBe(a);
      }
    }
  });

  it("keeps a copy on enqueue and returns the queued object on clear, as the stock store", async () => {
    const store = indexedMemoryPersistence();
    const packet: Pkt = { cmd: "publish", topic: "t", payload: Buffer.from("x"), qos: 1, brokerId: "b", brokerCounter: 1 };
    await store.outgoingEnqueue({ clientId: "c" }, packet);
    packet.topic = "changed";
    await store.outgoingUpdate({ id: "c" }, { ...packet, messageId: 7 });
    const cleared = (await store.outgoingClearMessageId({ id: "c" }, { messageId: 7 })) as Pkt | undefined;
    expect(cleared?.topic).toBe("t");
    expect(cleared?.messageId).toBe(7);
    expect(await store.outgoingClearMessageId({ id: "c" }, { messageId: 7 })).toBeUndefined();
    await expect(store.outgoingUpdate({ id: "c" }, { brokerId: "b", brokerCounter: 1, messageId: 8 })).rejects.toThrow("no such packet");
  });

  it("answers through a callback when given one", async () => {
    const store = indexedMemoryPersistence();
    const enqueued = await new Promise<unknown[]>((resolve) => store.outgoingEnqueue({ clientId: "c" }, { cmd: "publish", brokerId: "b", brokerCounter: 1 }, (...a) => resolve(a)));
    expect(enqueued[0]).toBeNull();
    const updated = await new Promise<unknown[]>((resolve) => store.outgoingUpdate({ id: "c" }, { brokerId: "b", brokerCounter: 1, messageId: 3 }, (...a) => resolve(a)));
    expect(updated[0]).toBeNull();
    const missing = await new Promise<unknown[]>((resolve) => store.outgoingUpdate({ id: "c" }, { brokerId: "b", brokerCounter: 2, messageId: 4 }, (...a) => resolve(a)));
    expect(String(missing[0])).toContain("no such packet");
    const cleared = await new Promise<unknown[]>((resolve) => store.outgoingClearMessageId({ id: "c" }, { messageId: 3 }, (...a) => resolve(a)));
    expect((cleared[1] as Pkt).brokerCounter).toBe(1);
  });

  it("finds a packet among 20,000 in flight without scanning them", () => {
    const q = new OutgoingQueue<Pkt>();
    for (let i = 1; i <= 20_000; i++) q.push({ cmd: "publish", brokerId: "b", brokerCounter: i });
    const t = performance.now();
    let wrong = 0;
    for (let i = 1; i <= 20_000; i++) if (!q.update({ cmd: "publish", brokerId: "b", brokerCounter: i, messageId: i })) wrong++;
    for (let i = 20_000; i >= 1; i--) if (q.clear(i)?.brokerCounter !== i) wrong++;
    const ms = performance.now() - t;
    expect(wrong).toBe(0);
    expect(q.length).toBe(0);
    // The stock loops make ~4 × 10⁸ comparisons here (each update and clear scans half the queue on average).
    expect(ms).toBeLessThan(500);
  });
});
