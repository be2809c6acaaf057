import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { appendCrc, crc16modbus, hasValidCrc } from "./crc.js";

const require = createRequire(import.meta.url);
// An independent implementation (bit-by-bit, from modbus-serial) to cross-check the table-driven one.
const referenceCrc = require("modbus-serial/utils/crc16.js") as (b: Buffer) => number;

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ""), "hex");

describe("crc16modbus [ARCHITECTURE §5]", () => {
  // Published frames: Modbus over serial line spec / Simply Modbus examples; the CRC trails low byte first.
  it.each([
    ["01 03 00 00 00 0A", "C5 CD"],
    ["01 04 00 00 00 01", "31 CA"],
    ["11 03 00 6B 00 03", "76 87"],
    ["11 04 00 08 00 01", "B2 98"],
    ["11 06 00 01 00 03", "9A 9B"],
    ["11 10 00 01 00 02 04 00 0A 01 02", "C6 F0"],
    ["11 01 00 13 00 25", "0E 84"],
    ["11 05 00 AC FF 00", "4E 8B"],
    ["11 03 06 AE 41 56 52 43 40", "49 AD"],
  ])("%s -> %s", (body, crc) => {
    const framed = appendCrc(hex(body));
    expect(framed.subarray(-2).toString("hex")).toBe(hex(crc).toString("hex"));
    expect(hasValidCrc(framed)).toBe(true);
  });

  it("matches the CRC catalogue check value for '123456789'", () => {
    expect(crc16modbus(Buffer.from("123456789", "ascii"))).toBe(0x4b37);
  });

  it("agrees with an independent bit-wise implementation on random data", () => {
    for (let i = 0; i < 200; i++) {
      const data = Buffer.from(Array.from({ length: 1 + (i % 64) }, (_, j) => (i * 31 + j * 17 + ((i * j) >> 3)) & 0xff));
      expect(crc16modbus(data)).toBe(referenceCrc(data));
    }
  });

  it("computes over a sub-range and rejects a flipped bit", () => {
    const framed = appendCrc(hex("01 03 00 00 00 0A"));
    const padded = Buffer.concat([hex("AA BB"), framed, hex("CC")]);
    expect(hasValidCrc(padded, 2, framed.length)).toBe(true);
    expect(crc16modbus(padded, 2, 8)).toBe(0xcdc5);
    framed[3] = (framed[3] ?? 0) ^ 0x04;
    expect(hasValidCrc(framed)).toBe(false);
    expect(hasValidCrc(hex("01 02"))).toBe(false);
  });
});
