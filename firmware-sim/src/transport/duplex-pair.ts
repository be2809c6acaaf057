/**
 * Two connected in-memory Duplex ends: bytes written to one are read from the other, like the two ends of a
 * serial cable (STYLE: every port has a fake). Delivery is deferred with process.nextTick by default, so a reply
 * is never written re-entrantly inside the write that caused it, and everything settles within one
 * FakeClock.advance(). `deliverLater: "turn"` delivers on a later turn of the event loop instead (setImmediate),
 * as a real line does (bytes take time on the wire): the fleet simulator uses it, so a thousand receivers
 * sharing one event loop do not run each amplifier's whole Modbus conversation inside the turn that starts
 * every play due at that instant.
 */
import { Duplex } from "node:stream";

export interface DuplexPairOptions {
  /** Deliver each write in pieces of at most this many bytes, as a UART or PTY may (default: whole writes). */
  chunkBytes?: number;
  /** "tick" (default): process.nextTick; "turn": setImmediate (see above). */
  deliverLater?: "tick" | "turn";
}

export function createDuplexPair(opts: DuplexPairOptions = {}): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const ended = [false, false];
  const later: (fn: () => void) => void = opts.deliverLater === "turn" ? (fn) => void setImmediate(fn) : (fn) => process.nextTick(fn);
  const peerOf = (i: number): { end: Duplex | undefined; index: number } => ({ end: ends[1 - i], index: 1 - i });

  const deliver = (i: number, chunk: Buffer): void => {
    const { end, index } = peerOf(i);
    if (!end || end.destroyed || ended[index]) return;
    const size = opts.chunkBytes && opts.chunkBytes > 0 ? opts.chunkBytes : chunk.length;
    for (let at = 0; at < chunk.length; at += size) end.push(Buffer.from(chunk.subarray(at, at + size)));
  };
  const endPeer = (i: number): void => {
    const { end, index } = peerOf(i);
    if (!end || end.destroyed || ended[index]) return;
    ended[index] = true;
    end.push(null);
  };

  for (const i of [0, 1]) {
    ends.push(
      new Duplex({
        read() {},
        write(chunk: Buffer, _encoding, callback) {
          later(() => deliver(i, chunk));
          callback();
        },
        final(callback) {
          later(() => endPeer(i));
          callback();
        },
        destroy(error, callback) {
          later(() => endPeer(i));
          callback(error);
        },
      }),
    );
  }
  const [a, b] = ends;
  if (!a || !b) throw new Error("unreachable: two ends were created");
  return [a, b];
}
