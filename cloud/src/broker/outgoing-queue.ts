/**
 * The QoS 1/2 in-flight queues of the embedded broker's persistent sessions, indexed (ARCHITECTURE §4,
 * default broker). aedes-persistence 11 keeps each client's queue as an array and finds a packet by a
 * linear scan on every PUBACK (`outgoingClearMessageId`) and every delivery (`outgoingUpdate`). The
 * cloud's own session subscribes at QoS 1 to every device's events, so a burst of N events made the
 * broker do O(N²) work there (docs/performance.md, ingest). Here each queue keeps its order in a Map and
 * finds packets through a messageId index and a (brokerId, brokerCounter) index.
 *
 * Semantics are the stock store's, exactly: the same packet is found (the first in queue order that the
 * stock loop would stop at), the same object is kept, changed or returned, the stream gives the queue in
 * order, and an update that finds nothing rejects with `Error("no such packet")`.
 */

/** What the queue reads of aedes' packets. */
export interface OutgoingPacket {
  brokerId?: unknown;
  brokerCounter?: unknown;
  messageId?: unknown;
}

interface Slot<P> {
  /** Position in the queue: slots are never moved, only removed. */
  readonly seq: number;
  packet: P;
}

/** Index from a key to the slots holding it; the set is small (messageIds are unique in flight). */
class SlotIndex<P> {
  private readonly map = new Map<unknown, Set<Slot<P>>>();

  add(key: unknown, slot: Slot<P>): void {
    let set = this.map.get(key);
    if (!set) this.map.set(key, (set = new Set()));
    set.add(slot);
  }

  remove(key: unknown, slot: Slot<P>): void {
    const set = this.map.get(key);
    if (!set) return;
    set.delete(slot);
    if (set.size === 0) this.map.delete(key);
  }

  /** The slot earliest in the queue among those under `key` that pass `accept`. */
  first(key: unknown, accept: (slot: Slot<P>) => boolean = () => true): Slot<P> | undefined {
    // `===` as the stock loop compares; a Map would match NaN with NaN.
    if (typeof key === "number" && Number.isNaN(key)) return undefined;
    let best: Slot<P> | undefined;
    for (const slot of this.map.get(key) ?? []) if (accept(slot) && (!best || slot.seq < best.seq)) best = slot;
    return best;
  }
}

/** One client's queue: insertion order, plus the two lookups the broker makes. */
export class OutgoingQueue<P extends OutgoingPacket> {
  private readonly order = new Map<number, Slot<P>>();
  private readonly byMessageId = new SlotIndex<P>();
  /** brokerId → brokerCounter → slots. */
  private readonly byCounter = new Map<unknown, SlotIndex<P>>();
  private nextSeq = 0;

  get length(): number {
    return this.order.size;
  }

  push(packet: P): void {
    const slot: Slot<P> = { seq: this.nextSeq++, packet };
    this.order.set(slot.seq, slot);
    this.index(slot);
  }

  /**
   * The stock loop stops at the first packet that either has the update's broker and counter (its
   * messageId is then set) or has another broker and the update's messageId (it is then replaced by the
   * update, e.g. a PUBREL). False when neither exists.
   */
  update(packet: P): boolean {
    const sameBroker = typeof packet.brokerId === "number" && Number.isNaN(packet.brokerId) ? undefined : this.byCounter.get(packet.brokerId);
    const same = sameBroker?.first(packet.brokerCounter);
    const other = this.byMessageId.first(packet.messageId, (s) => s.packet.brokerId !== packet.brokerId);
    if (same && (!other || same.seq < other.seq)) {
      this.byMessageId.remove(same.packet.messageId, same);
      same.packet.messageId = packet.messageId;
      this.byMessageId.add(same.packet.messageId, same);
      return true;
    }
    if (!other) return false;
    this.unindex(other);
    other.packet = packet;
    this.index(other);
    return true;
  }

  /** Removes and returns the first packet in queue order with `messageId`. */
  clear(messageId: unknown): P | undefined {
    const slot = this.byMessageId.first(messageId);
    if (!slot) return undefined;
    this.unindex(slot);
    this.order.delete(slot.seq);
    return slot.packet;
  }

  /** The packets in queue order (a copy: the queue may change while the broker walks it). */
  packets(): P[] {
    const out: P[] = [];
    for (const slot of this.order.values()) out.push(slot.packet);
    return out;
  }

  private index(slot: Slot<P>): void {
    this.byMessageId.add(slot.packet.messageId, slot);
    let counters = this.byCounter.get(slot.packet.brokerId);
    if (!counters) this.byCounter.set(slot.packet.brokerId, (counters = new SlotIndex()));
    counters.add(slot.packet.brokerCounter, slot);
  }

  private unindex(slot: Slot<P>): void {
    this.byMessageId.remove(slot.packet.messageId, slot);
    const counters = this.byCounter.get(slot.packet.brokerId);
    counters?.remove(slot.packet.brokerCounter, slot);
  }
}
