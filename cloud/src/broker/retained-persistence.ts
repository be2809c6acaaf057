/**
 * aedes' in-memory persistence with the retained messages kept in a topic tree (ARCHITECTURE §4, default
 * broker). The stock store (aedes-persistence 11, `retainedMessagesByPattern`) answers every SUBSCRIBE by
 * testing every retained topic against the filter. Every receiver retains its status and its plan and
 * subscribes to about five topics per connect, so a reconnect storm of N receivers cost O(N²) there
 * (docs/performance.md, storm). Here an exact filter is a walk down its levels and a wildcard filter visits
 * only the branches it can match. The QoS in-flight queues are indexed too (outgoing-queue.ts: a PUBACK
 * no longer scans its client's queue). Everything else (subscriptions, incoming QoS 2, wills) is the stock
 * memory persistence, unchanged.
 */
import { Readable } from "node:stream";
import aedesPersistence from "aedes-persistence";
import { OutgoingQueue, type OutgoingPacket } from "./outgoing-queue.js";

// The package is CommonJS (`module.exports = factory`, `.Packet` = aedes-packet's constructor) but its types
// declare an ES default export, which NodeNext reads as `exports.default`; at run time the default import is
// the factory itself.
const memoryPersistence = aedesPersistence as unknown as (() => object) & { Packet: new (p: object) => OutgoingPacket };

/** What the store needs of aedes' packet; the packet itself is kept (a shallow copy, as the stock store does). */
export interface RetainablePacket {
  topic: string;
  payload: { length: number };
}

interface TopicNode<P> {
  packet: P | undefined;
  children: Map<string, TopicNode<P>>;
}

const node = <P>(): TopicNode<P> => ({ packet: undefined, children: new Map() });

/**
 * Retained messages by topic level. Filters are MQTT filters as aedes has validated them (`+` a whole
 * level, `#` only last); like the stock store, a wildcard also matches `$` topics (aedes filters those
 * when it delivers live messages, not here). Unlike the stock store, `+` also matches an empty level
 * (`+/+` matches `/x`, [MQTT-4.7.1-3]), as aedes' live delivery does; no Loa topic has an empty level.
 */
export class RetainedTree<P extends RetainablePacket> {
  private readonly root: TopicNode<P> = node();
  private count = 0;
  /** Retained packets looked at by `match` since the start (a test reads it: an exact filter looks at one). */
  visited = 0;

  get size(): number {
    return this.count;
  }

  /** An empty payload deletes the topic's retained message (MQTT 3.1.1 §3.3.1.3). */
  store(packet: P): void {
    const levels = packet.topic.split("/");
    if (packet.payload.length === 0) {
      this.delete(levels);
      return;
    }
    let at = this.root;
    for (const level of levels) {
      let next = at.children.get(level);
      if (!next) at.children.set(level, (next = node()));
      at = next;
    }
    if (at.packet === undefined) this.count++;
    at.packet = packet;
  }

  /** Every retained packet matching any of `filters`, per filter in turn (a packet matched twice comes twice, as in the stock store). */
  match(filters: readonly string[]): P[] {
    const out: P[] = [];
    for (const filter of filters) this.collect(this.root, filter.split("/"), 0, out);
    return out;
  }

  private collect(at: TopicNode<P>, levels: readonly string[], i: number, out: P[]): void {
    const level = levels[i];
    if (level === undefined) {
      this.take(at, out);
      return;
    }
    // `a/#` matches `a` itself as well as everything under it (MQTT 3.1.1 §4.7.1.2).
    if (level === "#") {
      this.subtree(at, out);
      return;
    }
    if (level === "+") {
      for (const child of at.children.values()) this.collect(child, levels, i + 1, out);
      return;
    }
    const child = at.children.get(level);
    if (child) this.collect(child, levels, i + 1, out);
  }

  private subtree(at: TopicNode<P>, out: P[]): void {
    this.take(at, out);
    for (const child of at.children.values()) this.subtree(child, out);
  }

  private take(at: TopicNode<P>, out: P[]): void {
    if (at.packet === undefined) return;
    this.visited++;
    out.push(at.packet);
  }

  /** Removes the packet and prunes the branches left empty, so deleted topics cost nothing later. */
  private delete(levels: readonly string[]): void {
    const path: TopicNode<P>[] = [this.root];
    for (const level of levels) {
      const next = path[path.length - 1]?.children.get(level);
      if (!next) return;
      path.push(next);
    }
    const leaf = path[path.length - 1];
    if (leaf?.packet === undefined) return;
    leaf.packet = undefined;
    this.count--;
    for (let i = path.length - 1; i > 0; i--) {
      const at = path[i];
      const parent = path[i - 1];
      if (!at || !parent || at.packet !== undefined || at.children.size > 0) break;
      parent.children.delete(levels[i - 1] ?? "");
    }
  }
}

/** The three members of aedes' persistence (promise form, as aedes 1.x calls it) this module replaces. */
export interface RetainedStore {
  storeRetained(packet: RetainablePacket): Promise<void>;
  createRetainedStream(pattern: string): Readable;
  createRetainedStreamCombi(patterns: string[]): Readable;
}

type Done = ((err: unknown, ...args: unknown[]) => void) | undefined;
type Client = { id: string };

/**
 * The five outgoing-queue members of aedes' persistence. aedes 1.x calls the promise form; the callback
 * form is kept as the stock CallBackPersistence has it (enqueue answers on the next tick, as there).
 */
export interface OutgoingStore {
  outgoingEnqueue(sub: { clientId: string }, packet: object, cb?: Done): Promise<void> | undefined;
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: object, cb?: Done): Promise<void> | undefined;
  outgoingUpdate(client: Client, packet: OutgoingPacket, cb?: Done): Promise<void> | undefined;
  outgoingClearMessageId(client: Client, packet: OutgoingPacket, cb?: Done): Promise<OutgoingPacket | undefined> | undefined;
  outgoingStream(client: Client): Readable;
}

/** `promise` as is, or handed to `cb` (then nothing is returned), as the stock callback wrapper does. */
function settle<T>(promise: Promise<T>, cb: Done, args: (value: T) => unknown[]): Promise<T> | undefined {
  if (!cb) return promise;
  promise.then((v) => cb(null, ...args(v)), (err: unknown) => cb(err));
  return undefined;
}

/** Replaces the stock outgoing members of `persistence` with per-client indexed queues. */
export function indexOutgoing(persistence: object): OutgoingStore {
  const queues = new Map<string, OutgoingQueue<OutgoingPacket>>();
  const queue = (id: string): OutgoingQueue<OutgoingPacket> => {
    let q = queues.get(id);
    if (!q) queues.set(id, (q = new OutgoingQueue()));
    return q;
  };
  // Each queued packet is a copy, as in the stock store (aedes goes on using the one it passed in).
  const enqueue = (clientId: string, packet: object): void => queue(clientId).push(new memoryPersistence.Packet(packet));
  const store = persistence as OutgoingStore;
  store.outgoingEnqueue = (sub, packet, cb) => {
    enqueue(sub.clientId, packet);
    return cb ? (process.nextTick(cb, null, packet), undefined) : Promise.resolve();
  };
  store.outgoingEnqueueCombi = (subs, packet, cb) => {
    for (const sub of subs) enqueue(sub.clientId, packet);
    return cb ? (process.nextTick(cb, null, packet), undefined) : Promise.resolve();
  };
  store.outgoingUpdate = (client, packet, cb) => {
    const found = queue(client.id).update(packet);
    return settle(found ? Promise.resolve() : Promise.reject(new Error("no such packet")), cb, () => [client, packet]);
  };
  store.outgoingClearMessageId = (client, packet, cb) => settle(Promise.resolve(queues.get(client.id)?.clear(packet.messageId)), cb, (p) => [p]);
  store.outgoingStream = (client) => Readable.from(queues.get(client.id)?.packets() ?? []);
  return store;
}

/**
 * The stock memory persistence with its retained store replaced by `tree` and its outgoing queues indexed.
 * Returned as aedes' `persistence` option (typed `any` there); the replaced members are own properties over
 * the stock methods.
 */
export function indexedMemoryPersistence(tree = new RetainedTree<RetainablePacket>()): RetainedStore & OutgoingStore {
  const persistence = indexOutgoing(memoryPersistence()) as unknown as RetainedStore & OutgoingStore;
  persistence.storeRetained = (packet) => {
    // The stock store keeps a shallow copy: aedes goes on to change the packet it passed in.
    tree.store({ ...packet });
    return Promise.resolve();
  };
  persistence.createRetainedStream = (pattern) => Readable.from(tree.match([pattern]));
  persistence.createRetainedStreamCombi = (patterns) => Readable.from(tree.match(patterns));
  return persistence;
}
