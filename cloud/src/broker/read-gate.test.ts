/**
 * The embedded broker's read gate (read-gate.ts): at most `perTurn` reads per turn of the event loop, the
 * rest in arrival order in later turns; and over real loopback sockets, a `readable` listener moved behind
 * the gate still gets every byte of every connection, in order, while 200 connections that became readable
 * together are handled over several turns instead of one.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ReadGate } from "./read-gate.js";

/** A gate whose turns happen when the test calls `turn()`. */
function manual(perTurn: number) {
  const turns: Array<() => void> = [];
  const gate = new ReadGate({ perTurn, nextTurn: (fn) => turns.push(fn) });
  return { gate, turn: () => turns.splice(0).forEach((fn) => fn()), pendingTurns: () => turns.length };
}

describe("ReadGate", () => {
  it("runs perTurn reads at once, the rest perTurn per later turn, first come first served", () => {
    const { gate, turn } = manual(3);
    const ran: number[] = [];
    for (let i = 0; i < 8; i++) gate.run(() => ran.push(i));
    expect(ran).toEqual([0, 1, 2]);
    expect(gate.waiting).toBe(5);
    turn();
    expect(ran).toEqual([0, 1, 2, 3, 4, 5]);
    turn();
    expect(ran).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(gate.deferred).toBe(5);
  });

  it("queues a read behind waiting ones even when its turn has room", () => {
    const { gate, turn } = manual(2);
    const ran: string[] = [];
    for (const x of ["a", "b", "c"]) gate.run(() => ran.push(x));
    turn(); // c runs, one slot of this turn left
    gate.run(() => ran.push("d")); // runs at once: nobody waits
    gate.run(() => ran.push("e")); // no room: next turn
    expect(ran).toEqual(["a", "b", "c", "d"]);
    turn();
    expect(ran).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("stops scheduling turns once idle, and a read that throws does not stop the others", async () => {
    const { gate, turn, pendingTurns } = manual(1);
    const ran: number[] = [];
    gate.run(() => ran.push(1));
    gate.run(() => {
      throw new Error("boom");
    });
    gate.run(() => ran.push(3));
    const thrown = new Promise<unknown>((resolve) => process.once("uncaughtException", resolve));
    turn();
    turn();
    expect(ran).toEqual([1, 3]);
    expect(String(await thrown)).toContain("boom");
    turn(); // a turn with nothing to run ends the scheduling
    expect(pendingTurns()).toBe(0);
  });
});

describe("ReadGate over sockets", () => {
  let server: Server | undefined;
  const clients: Socket[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it("a readable listener moved behind the gate still gets every byte of 200 connections, in order", async () => {
    const gate = new ReadGate({ perTurn: 2 });
    const received = new Map<number, string>();
    server = createServer((socket) => {
      let id = -1;
      // What aedes does: read on `readable`; then the gate takes the listener over.
      socket.on("readable", () => {
        let chunk: Buffer | null;
        while ((chunk = socket.read() as Buffer | null) !== null) {
          const text = chunk.toString();
          if (id < 0) id = Number(text.split(":")[0]);
          received.set(id, (received.get(id) ?? "") + text);
        }
      });
      gate.wrap(socket);
      expect(socket.listenerCount("readable")).toBe(1);
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    await Promise.all(
      Array.from({ length: 200 }, () => {
        const c = connect(port, "127.0.0.1");
        clients.push(c);
        return new Promise<void>((resolve) => c.once("connect", () => resolve()));
      }),
    );
    const body = (i: number): string => `${i}:${"x".repeat(3000)}:`;
    for (const [i, c] of clients.entries()) for (let k = 0; k < 3; k++) c.write(body(i));
    for (const c of clients) c.end("end");
    const complete = (): boolean => received.size === 200 && [...received.values()].every((v) => v.endsWith("end"));
    const deadline = Date.now() + 5_000;
    while (!complete() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(received.size).toBe(200);
    for (const [i, text] of received) expect(text).toBe(body(i).repeat(3) + "end");
  });
});
