/**
 * Paced reading for the embedded broker's connections (ARCHITECTURE §4 default broker; docs/performance.md,
 * ingest). When every receiver reports a play at the same second, 10,000 sockets become readable at once
 * and libuv hands all of them to one poll phase: aedes parsed, authorised, queued and acknowledged 10,000
 * publishes there without a pause (1.2 s on the benchmark machine) while HTTP requests and timers waited.
 *
 * A gate lets `perTurn` connections handle what they read per turn of the event loop and queues the rest,
 * in arrival order, for the next turns (a `setImmediate` each). A queued connection's bytes wait in its
 * socket's buffer: when that fills, Node stops reading it and TCP slows the sender, so nothing is dropped
 * and memory stays bounded.
 */
import type { Socket } from "node:net";

/** Connections served per turn: a device's message costs aedes ~0.1 ms, so ~6 ms per turn. */
export const READS_PER_TURN = 64;

export interface ReadGateOptions {
  perTurn?: number;
  /** Schedules the next turn; default `setImmediate`. */
  nextTurn?: (fn: () => void) => void;
}

export class ReadGate {
  private readonly perTurn: number;
  private readonly nextTurn: (fn: () => void) => void;
  private queue: Array<() => void> = [];
  private head = 0;
  private used = 0;
  private scheduled = false;
  /** Reads deferred to a later turn since the start; for stats and tests. */
  deferred = 0;

  constructor(opts: ReadGateOptions = {}) {
    this.perTurn = Math.max(1, opts.perTurn ?? READS_PER_TURN);
    this.nextTurn = opts.nextTurn ?? ((fn) => void setImmediate(fn));
  }

  /** Waiting reads. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** Run `read` now if this turn has room and nobody waits, else in a later turn (first come, first served). */
  run(read: () => void): void {
    if (this.used < this.perTurn && this.waiting === 0) {
      this.used++;
      this.schedule();
      read();
      return;
    }
    this.deferred++;
    this.queue.push(read);
    this.schedule();
  }

  /**
   * Lets aedes read `socket` through the gate: aedes handles a connection's bytes on its `readable`
   * event, and those listeners (added by `aedes.handle`) are moved behind the gate. Call right after it.
   */
  wrap(socket: Socket): void {
    const listeners = socket.listeners("readable") as Array<() => void>;
    if (listeners.length === 0) return;
    socket.removeAllListeners("readable");
    socket.on("readable", () => this.run(() => listeners.forEach((l) => l.call(socket))));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.nextTurn(() => this.turn());
  }

  /** A new turn: the budget is back; the first `perTurn` waiting reads run. */
  private turn(): void {
    this.scheduled = false;
    this.used = 0;
    while (this.used < this.perTurn && this.waiting > 0) {
      const read = this.queue[this.head];
      this.queue[this.head++] = noop;
      this.used++;
      try {
        read?.();
      } catch (err) {
        // As if thrown from the event listener: uncaught, but the other connections still get their turn.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    // Another turn if anything ran: it resets the budget, and runs whatever still waits.
    if (this.used > 0) this.schedule();
  }
}

function noop(): void {}
