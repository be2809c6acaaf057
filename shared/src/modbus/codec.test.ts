import { describe, expect, it } from "vitest";
import { appendCrc } from "./crc.js";
import { ModbusError } from "./errors.js";
import { decodeRequest, encodeRequest } from "./request.js";
import { decodeResponse, encodeException, encodeResponse, expectReply, isReplyTo } from "./response.js";
import type { ModbusReply, ModbusRequest } from "./types.js";

const hex = (s: string): string => s.replace(/\s/g, "").toLowerCase();
const bytes = (s: string): Buffer => Buffer.from(hex(s), "hex");

function caught(fn: () => unknown): ModbusError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ModbusError) return err;
    throw err;
  }
  throw new Error("expected a ModbusError");
}

describe("requests [ARCHITECTURE §5]", () => {
  // Expected bytes are published example frames (Modbus spec / Simply Modbus), CRC included.
  const published: Array<[ModbusRequest, string]> = [
    [{ kind: "readHolding", unitId: 1, address: 0, quantity: 10 }, "01 03 0000 000A C5CD"],
    [{ kind: "readHolding", unitId: 0x11, address: 0x6b, quantity: 3 }, "11 03 006B 0003 7687"],
    [{ kind: "readInput", unitId: 0x11, address: 8, quantity: 1 }, "11 04 0008 0001 B298"],
    [{ kind: "writeSingle", unitId: 0x11, address: 1, value: 3 }, "11 06 0001 0003 9A9B"],
    [{ kind: "writeMultiple", unitId: 0x11, address: 1, values: [0x000a, 0x0102] }, "11 10 0001 0002 04 000A 0102 C6F0"],
    [{ kind: "readCoils", unitId: 0x11, address: 0x13, quantity: 0x25 }, "11 01 0013 0025 0E84"],
    [{ kind: "writeCoil", unitId: 0x11, address: 0xac, value: true }, "11 05 00AC FF00 4E8B"],
  ];

  it.each(published)("encodes %j as published and decodes it back", (req, wire) => {
    const frame = encodeRequest(req);
    expect(frame.toString("hex")).toBe(hex(wire));
    expect(decodeRequest(frame)).toEqual(req);
  });

  it("round-trips the edges of every range", () => {
    const reqs: ModbusRequest[] = [
      { kind: "readHolding", unitId: 247, address: 65535 - 124, quantity: 125 },
      { kind: "readInput", unitId: 0, address: 16, quantity: 5 },
      { kind: "readDiscrete", unitId: 3, address: 0, quantity: 2000 },
      { kind: "writeSingle", unitId: 1, address: 65535, value: 65535 },
      { kind: "writeCoil", unitId: 1, address: 7, value: false },
      { kind: "writeMultiple", unitId: 1, address: 0, values: Array.from({ length: 123 }, (_, i) => i * 500) },
      { kind: "unknown", unitId: 1, functionCode: 0x41, data: bytes("0102 03") },
    ];
    for (const req of reqs) expect(decodeRequest(encodeRequest(req))).toEqual(req);
  });

  it.each<[string, ModbusRequest]>([
    ["quantity 0", { kind: "readHolding", unitId: 1, address: 0, quantity: 0 }],
    ["quantity 126", { kind: "readInput", unitId: 1, address: 0, quantity: 126 }],
    ["2001 bits", { kind: "readCoils", unitId: 1, address: 0, quantity: 2001 }],
    ["a span past 65535", { kind: "readHolding", unitId: 1, address: 65535, quantity: 2 }],
    ["value 65536", { kind: "writeSingle", unitId: 1, address: 0, value: 65536 }],
    ["value -1", { kind: "writeSingle", unitId: 1, address: 0, value: -1 }],
    ["value 1.5", { kind: "writeSingle", unitId: 1, address: 0, value: 1.5 }],
    ["124 registers", { kind: "writeMultiple", unitId: 1, address: 0, values: new Array<number>(124).fill(0) }],
    ["no registers", { kind: "writeMultiple", unitId: 1, address: 0, values: [] }],
    ["unit 248", { kind: "readHolding", unitId: 248, address: 0, quantity: 1 }],
    ["function code 0x90", { kind: "unknown", unitId: 1, functionCode: 0x90, data: Buffer.alloc(0) }],
  ])("refuses to encode %s", (_name, req) => {
    expect(caught(() => encodeRequest(req)).code).toBe("modbus_range");
  });

  it("tells a slave which exception to answer for a well-framed but illegal request", () => {
    const tooMany = caught(() => decodeRequest(appendCrc(bytes("07 03 0000 00C8"))));
    expect(tooMany).toMatchObject({ code: "modbus_range", exceptionCode: 3, unitId: 7, functionCode: 3 });
    const pastEnd = caught(() => decodeRequest(appendCrc(bytes("07 04 FFFF 0002"))));
    expect(pastEnd).toMatchObject({ code: "modbus_range", exceptionCode: 2 });
    const badCount = caught(() => decodeRequest(appendCrc(bytes("07 10 0000 0002 03 000100"))));
    expect(badCount).toMatchObject({ code: "modbus_range", exceptionCode: 3 });
    const badCoil = caught(() => decodeRequest(appendCrc(bytes("07 05 0000 1234"))));
    expect(badCoil).toMatchObject({ code: "modbus_range", exceptionCode: 3 });
  });

  it("rejects bad CRC, wrong length and exception codes as requests", () => {
    const frame = encodeRequest({ kind: "readHolding", unitId: 1, address: 0, quantity: 1 });
    frame[5] = (frame[5] ?? 0) ^ 1;
    expect(caught(() => decodeRequest(frame)).code).toBe("modbus_crc");
    expect(caught(() => decodeRequest(appendCrc(bytes("01 03 0000 0001 00")))).code).toBe("modbus_frame");
    expect(caught(() => decodeRequest(appendCrc(bytes("01 83 02")))).code).toBe("modbus_frame");
    expect(caught(() => decodeRequest(bytes("01"))).code).toBe("modbus_frame");
  });

  it("decodes an unknown function code far enough to answer exception 01", () => {
    const req = decodeRequest(appendCrc(bytes("05 2B 0E 01 00")));
    expect(req).toEqual({ kind: "unknown", unitId: 5, functionCode: 0x2b, data: bytes("0E 01 00") });
    if (req.kind !== "unknown") throw new Error("unreachable");
    expect(encodeException(req.unitId, req.functionCode, 1).toString("hex")).toBe(appendCrc(bytes("05 AB 01")).toString("hex"));
  });
});

describe("responses [ARCHITECTURE §5]", () => {
  const published: Array<[ModbusReply, string]> = [
    [{ kind: "readHolding", unitId: 0x11, values: [0xae41, 0x5652, 0x4340] }, "11 03 06 AE41 5652 4340 49AD"],
    [{ kind: "writeSingle", unitId: 0x11, address: 1, value: 3 }, "11 06 0001 0003 9A9B"],
    [{ kind: "writeMultiple", unitId: 0x11, address: 1, quantity: 2 }, "11 10 0001 0002 1298"],
    [{ kind: "writeCoil", unitId: 0x11, address: 0xac, value: true }, "11 05 00AC FF00 4E8B"],
  ];

  it.each(published)("encodes %j as published and decodes it back", (reply, wire) => {
    const frame = encodeResponse(reply);
    expect(frame.toString("hex")).toBe(hex(wire));
    expect(decodeResponse(frame)).toEqual(reply);
  });

  it("round-trips reads of registers and bits", () => {
    const input: ModbusReply = { kind: "readInput", unitId: 1, values: [0b1000001, 412, 2301, 850, 0x0102] };
    expect(decodeResponse(encodeResponse(input))).toEqual(input);
    const bits = [true, false, true, true, false, false, true, false, true];
    const frame = encodeResponse({ kind: "readCoils", unitId: 2, bits });
    expect(frame.toString("hex").slice(0, 10)).toBe("0201024d01");
    expect(decodeResponse(frame)).toEqual({ kind: "readCoils", unitId: 2, bits: [...bits, ...new Array<boolean>(7).fill(false)] });
  });

  it.each([1, 2, 3, 4])("round-trips exception %i", (code) => {
    const frame = encodeException(1, 6, code);
    expect(frame.subarray(0, 3).toString("hex")).toBe(`0186${code.toString(16).padStart(2, "0")}`);
    expect(decodeResponse(frame)).toEqual({ kind: "exception", unitId: 1, functionCode: 6, exceptionCode: code });
    expect(encodeResponse({ kind: "exception", unitId: 1, functionCode: 6, exceptionCode: code })).toEqual(frame);
  });

  it("rejects what no slave may send", () => {
    expect(caught(() => decodeResponse(appendCrc(bytes("01 41 00")))).code).toBe("modbus_frame");
    expect(caught(() => decodeResponse(appendCrc(bytes("01 03 03 000102")))).code).toBe("modbus_frame");
    expect(caught(() => encodeResponse({ kind: "readHolding", unitId: 1, values: [] })).code).toBe("modbus_range");
    expect(caught(() => encodeResponse({ kind: "readInput", unitId: 1, values: [70000] })).code).toBe("modbus_range");
    expect(caught(() => encodeException(1, 3, 0)).code).toBe("modbus_range");
  });
});

describe("expectReply", () => {
  const read: ModbusRequest = { kind: "readInput", unitId: 1, address: 16, quantity: 2 };

  it("accepts the matching reply and trims bit replies to the quantity asked", () => {
    expect(expectReply(read, { kind: "readInput", unitId: 1, values: [1, 2] })).toEqual({ kind: "readInput", unitId: 1, values: [1, 2] });
    const coils: ModbusRequest = { kind: "readCoils", unitId: 1, address: 0, quantity: 3 };
    const bits = [true, false, true, false, false, false, false, false];
    expect(expectReply(coils, { kind: "readCoils", unitId: 1, bits })).toEqual({ kind: "readCoils", unitId: 1, bits: [true, false, true] });
  });

  it("turns an exception reply into modbus_exception with the code", () => {
    const ex: ModbusReply = { kind: "exception", unitId: 1, functionCode: 4, exceptionCode: 2 };
    expect(isReplyTo(read, ex)).toBe(true);
    const err = caught(() => expectReply(read, ex));
    expect(err).toMatchObject({ code: "modbus_exception", exceptionCode: 2, unitId: 1, functionCode: 4 });
    expect(err.message).toContain("illegal data address");
  });

  it("refuses replies from another unit, function, count or echo", () => {
    expect(isReplyTo(read, { kind: "readInput", unitId: 2, values: [1, 2] })).toBe(false);
    expect(caught(() => expectReply(read, { kind: "readHolding", unitId: 1, values: [1, 2] })).code).toBe("modbus_frame");
    expect(caught(() => expectReply(read, { kind: "readInput", unitId: 1, values: [1] })).code).toBe("modbus_frame");
    const write: ModbusRequest = { kind: "writeSingle", unitId: 1, address: 1, value: 40 };
    expect(caught(() => expectReply(write, { kind: "writeSingle", unitId: 1, address: 1, value: 41 })).code).toBe("modbus_frame");
    expect(expectReply(write, { kind: "writeSingle", unitId: 1, address: 1, value: 40 })).toMatchObject({ value: 40 });
  });
});
