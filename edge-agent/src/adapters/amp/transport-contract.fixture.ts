/**
 * The SerialTransport contract (STYLE: one suite run against every implementation), on the real clock:
 * bytes both ways intact, writes refused while closed, open failing then succeeding by itself when the line
 * appears, a lost line reported and reopened when it comes back, reopen(), and listeners that throw.
 */
import { describe, expect, it } from "vitest";
import type { SerialTransport } from "../../ports/serial.js";

export interface FarEnd {
  write(bytes: Buffer): Promise<void>;
  /** Everything the far end received since the line was last plugged in. */
  received(): Buffer;
}

export interface TransportUnderTest {
  transport: SerialTransport;
  /** The other end of the current line; undefined while unplugged. */
  far(): FarEnd | undefined;
  /** The line disappears (adapter unplugged, socat killed). */
  unplug(): Promise<void>;
  /** The line is back (same path); the transport must find it by itself. */
  plug(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function farOf(sut: TransportUnderTest): FarEnd {
  const far = sut.far();
  if (!far) throw new Error("the line is unplugged");
  return far;
}

const bytes = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));

/**
 * `make` returns a transport not yet opened, its line plugged in, with a short reconnect backoff
 * (tens of ms) so the suite runs quickly.
 */
export function serialTransportContract(name: string, make: () => Promise<TransportUnderTest>): void {
  describe(`SerialTransport contract: ${name}`, () => {
    const withSut = (body: (sut: TransportUnderTest) => Promise<void>) => async () => {
      const sut = await make();
      try {
        await body(sut);
      } finally {
        await sut.transport.close();
        await sut.cleanup();
      }
    };

    it("carries bytes both ways intact, including all 256 byte values", withSut(async (sut) => {
      const got: Buffer[] = [];
      sut.transport.on("data", (chunk) => got.push(chunk));
      await sut.transport.open();
      expect(sut.transport.state).toBe("open");
      const out = bytes(256, 0);
      await sut.transport.write(out);
      await waitFor("the far end to receive 256 bytes", () => farOf(sut).received().length >= 256);
      expect(farOf(sut).received().equals(out)).toBe(true);
      const back = bytes(300, 3);
      await farOf(sut).write(back);
      await waitFor("300 bytes back", () => Buffer.concat(got).length >= 300);
      expect(Buffer.concat(got).equals(back)).toBe(true);
    }));

    it("refuses writes while not open (serial_closed) and close() is idempotent", withSut(async (sut) => {
      await expect(sut.transport.write(Buffer.from([1]))).rejects.toMatchObject({ code: "serial_closed" });
      await sut.transport.open();
      await sut.transport.close();
      await sut.transport.close();
      expect(sut.transport.state).toBe("closed");
      await expect(sut.transport.write(Buffer.from([1]))).rejects.toMatchObject({ code: "serial_closed" });
    }));

    it("fails to open an absent line (serial_open), then opens by itself when it appears", withSut(async (sut) => {
      await sut.unplug();
      const opened: number[] = [];
      const errors: Error[] = [];
      sut.transport.on("open", () => opened.push(Date.now()));
      sut.transport.on("error", (err) => errors.push(err));
      await expect(sut.transport.open()).rejects.toMatchObject({ code: "serial_open" });
      expect(sut.transport.state).toBe("waiting");
      expect(errors.length).toBeGreaterThanOrEqual(1);
      await sut.plug();
      await waitFor("the transport to open by itself", () => sut.transport.isOpen);
      expect(opened).toHaveLength(1);
      await sut.transport.write(Buffer.from([0x42]));
      await waitFor("the far end to receive", () => farOf(sut).received().length === 1);
    }));

    it("reports a lost line, refuses writes, and reopens when it is back", withSut(async (sut) => {
      const closes: (Error | undefined)[] = [];
      let opens = 0;
      sut.transport.on("close", (err) => closes.push(err));
      sut.transport.on("open", () => opens++);
      await sut.transport.open();
      await sut.unplug();
      await waitFor("the loss to be noticed", () => closes.length === 1);
      expect(closes[0]).toBeInstanceOf(Error);
      expect(sut.transport.isOpen).toBe(false);
      await expect(sut.transport.write(Buffer.from([1]))).rejects.toMatchObject({ code: "serial_closed" });
      await new Promise((resolve) => setTimeout(resolve, 150)); // a few failed retries while unplugged
      expect(opens).toBe(1);
      await sut.plug();
      await waitFor("the transport to reopen", () => sut.transport.isOpen, 5_000);
      expect(opens).toBe(2);
      const got: Buffer[] = [];
      sut.transport.on("data", (chunk) => got.push(chunk));
      await farOf(sut).write(Buffer.from([9, 8, 7]));
      await waitFor("bytes after the reopen", () => Buffer.concat(got).length === 3);
      expect([...Buffer.concat(got)]).toEqual([9, 8, 7]);
    }));

    it("reopen() closes and opens the line again", withSut(async (sut) => {
      const seen: string[] = [];
      sut.transport.on("close", (err) => seen.push(err ? "lost" : "close"));
      sut.transport.on("open", () => seen.push("open"));
      await sut.transport.open();
      await sut.transport.reopen();
      expect(seen).toEqual(["open", "close", "open"]);
      expect(sut.transport.isOpen).toBe(true);
    }));

    it("a listener that throws does not stop the others", withSut(async (sut) => {
      const got: Buffer[] = [];
      sut.transport.on("data", () => {
        throw new Error("bad listener");
      });
      sut.transport.on("data", (chunk) => got.push(chunk));
      await sut.transport.open();
      await farOf(sut).write(Buffer.from([1, 2]));
      await waitFor("the second listener", () => Buffer.concat(got).length === 2);
      const off = sut.transport.on("data", () => got.push(Buffer.from([0xee])));
      off();
      await farOf(sut).write(Buffer.from([3]));
      await waitFor("one more byte", () => Buffer.concat(got).length === 3);
      expect([...Buffer.concat(got)]).toEqual([1, 2, 3]);
    }));
  });
}
