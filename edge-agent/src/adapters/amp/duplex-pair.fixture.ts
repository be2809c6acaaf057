/**
 * Two connected in-memory Duplex ends, a null-modem cable for tests: what one end writes, the other reads.
 * Destroying either end closes both, like pulling the cable.
 */
import { Duplex } from "node:stream";

export function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (peer: () => Duplex | undefined): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        const other = peer();
        if (!other || other.destroyed) return callback(new Error("peer is gone"));
        // Deliver on a later tick, as a real line does, never inside the writer's call stack.
        setImmediate(() => {
          if (!other.destroyed) other.push(Buffer.from(chunk));
        });
        callback();
      },
      destroy(err, callback) {
        const other = peer();
        if (other && !other.destroyed) setImmediate(() => other.destroy());
        callback(err);
      },
    });
  ends.push(make(() => ends[1]), make(() => ends[0]));
  const [a, b] = ends;
  if (!a || !b) throw new Error("unreachable");
  return [a, b];
}
