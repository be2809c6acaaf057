import { describe, expect, it } from "vitest";
import { FakeClock } from "../clock.js";
import { appendCrc } from "./crc.js";
import { RtuFrameParser } from "./parser.js";
import { decodeRequest, encodeRequest } from "./request.js";
import { encodeException, encodeResponse } from "./response.js";
import { RtuFrameStream } from "./stream.js";

const bytes = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ""), "hex");
const hexes = (frames: Buffer[]): string[] => frames.map((f) => f.toString("hex"));

const readReq = encodeRequest({ kind: "readHolding", unitId: 1, address: 0, quantity: 10 });
const writeReq = encodeRequest({ kind: "writeMultiple", unitId: 1, address: 1, values: [40, 1, 2] });
const readRes = encodeResponse({ kind: "readInput", unitId: 1, values: [3, 412, 2301, 850, 0x0102] });

describe("RtuFrameParser [ARCHITECTURE §5]", () => {
  it("assembles a request fed byte by byte", () => {
    const parser = new RtuFrameParser({ direction: "request" });
    const seen: string[] = [];
    for (const frame of [readReq, writeReq]) {
      for (let i = 0; i < frame.length; i++) {
        const out = parser.push(frame.subarray(i, i + 1));
        if (i < frame.length - 1) expect(out).toEqual([]);
        seen.push(...hexes(out));
      }
    }
    expect(seen).toEqual(hexes([readReq, writeReq]));
    expect(parser.stats).toEqual({ frames: 2, crcErrors: 0, droppedBytes: 0 });
  });

  it("assembles a response fed byte by byte (length from the byte count)", () => {
    const parser = new RtuFrameParser({ direction: "response" });
    const out = [...readRes].flatMap((b) => parser.push(Uint8Array.of(b)));
    expect(hexes(out)).toEqual(hexes([readRes]));
  });

  it("cuts two frames out of one chunk", () => {
    const parser = new RtuFrameParser({ direction: "request" });
    expect(hexes(parser.push(Buffer.concat([writeReq, readReq])))).toEqual(hexes([writeReq, readReq]));
    const responses = new RtuFrameParser({ direction: "response" });
    const ex = encodeException(1, 3, 2);
    expect(hexes(responses.push(Buffer.concat([ex, readRes])))).toEqual(hexes([ex, readRes]));
  });

  it("skips junk before a frame and counts it", () => {
    const parser = new RtuFrameParser({ direction: "request" });
    expect(hexes(parser.push(Buffer.concat([bytes("FF 00 03 7E"), readReq])))).toEqual(hexes([readReq]));
    expect(parser.stats).toEqual({ frames: 1, crcErrors: 1, droppedBytes: 4 });
  });

  it("drops a frame with one flipped bit and still parses the next good one", () => {
    const parser = new RtuFrameParser({ direction: "request" });
    const bad = Buffer.from(readReq);
    bad[4] = (bad[4] ?? 0) ^ 0x10;
    expect(hexes(parser.push(Buffer.concat([bad, writeReq])))).toEqual(hexes([writeReq]));
    expect(parser.stats).toEqual({ frames: 1, crcErrors: 1, droppedBytes: bad.length });
  });

  it("releases a good frame held behind a junk header once the line goes silent", () => {
    const clock = new FakeClock(0);
    const parser = new RtuFrameParser({ direction: "response", clock, gapMs: 50 });
    // "01 03 F0" reads as the head of a 245-byte reply, so the good reply after it must wait for the silence.
    expect(parser.push(Buffer.concat([bytes("01 03 F0"), readRes]))).toEqual([]);
    void clock.advance(50);
    const next = encodeException(1, 3, 4);
    expect(hexes(parser.push(next))).toEqual(hexes([readRes, next]));
    expect(parser.stats).toMatchObject({ frames: 2, droppedBytes: 3 });
  });

  it("waits for the rest of a frame split across reads", () => {
    const parser = new RtuFrameParser({ direction: "response" });
    expect(parser.push(readRes.subarray(0, 2))).toEqual([]);
    expect(parser.push(readRes.subarray(2, 9))).toEqual([]);
    expect(parser.pendingBytes).toBe(9);
    expect(hexes(parser.push(readRes.subarray(9)))).toEqual(hexes([readRes]));
    expect(parser.pendingBytes).toBe(0);
  });

  it("discards a half frame after a silence of gapMs", () => {
    const clock = new FakeClock(0);
    const parser = new RtuFrameParser({ direction: "request", clock, gapMs: 50 });
    expect(parser.push(readReq.subarray(0, 5))).toEqual([]);
    void clock.advance(49);
    expect(parser.push(readReq.subarray(5, 6))).toEqual([]);
    void clock.advance(50);
    // Without the gap the 6 held bytes plus this frame's head would be taken as one frame and miss it.
    expect(hexes(parser.push(readReq))).toEqual(hexes([readReq]));
    expect(parser.stats).toMatchObject({ frames: 1, droppedBytes: 6 });
  });

  it("frames a request of unknown layout at the silence, so the slave can answer exception 01", () => {
    const unknown = appendCrc(bytes("01 41 01 02 03"));
    const parser = new RtuFrameParser({ direction: "request" });
    expect(parser.push(unknown)).toEqual([]);
    const out = parser.flush();
    expect(hexes(out)).toEqual(hexes([unknown]));
    expect(decodeRequest(out[0] ?? Buffer.alloc(0))).toMatchObject({ kind: "unknown", functionCode: 0x41 });
  });

  it("frames public function codes Loa does not implement without waiting (FC 15, FC 08)", () => {
    const fc15 = appendCrc(bytes("01 0F 0013 000A 02 CD01"));
    const fc08 = appendCrc(bytes("01 08 0000 A537"));
    const parser = new RtuFrameParser({ direction: "request" });
    expect(hexes(parser.push(Buffer.concat([fc15, fc08])))).toEqual(hexes([fc15, fc08]));
  });

  it("treats bytes of unknown layout before a complete known frame as noise", () => {
    const parser = new RtuFrameParser({ direction: "request" });
    expect(hexes(parser.push(Buffer.concat([bytes("01 41 99"), readReq])))).toEqual(hexes([readReq]));
    expect(parser.stats.droppedBytes).toBe(3);
  });

  it("drops truncated frames at flush and everything on reset", () => {
    const parser = new RtuFrameParser({ direction: "response" });
    parser.push(Buffer.concat([readRes, readRes.subarray(0, 4)]));
    expect(parser.flush()).toEqual([]);
    expect(parser.stats).toEqual({ frames: 1, crcErrors: 0, droppedBytes: 4 });
    parser.push(readReq.subarray(0, 3));
    parser.reset();
    expect(parser.pendingBytes).toBe(0);
    expect(parser.stats.droppedBytes).toBe(7);
  });
});

describe("RtuFrameStream", () => {
  it("emits one frame per object, counts errors and ends cleanly", async () => {
    const stream = new RtuFrameStream({ direction: "response" });
    const got: Buffer[] = [];
    stream.on("data", (f: Buffer) => got.push(f));
    const done = new Promise<void>((resolve) => stream.on("end", resolve));
    const bad = Buffer.from(readRes);
    bad[3] = (bad[3] ?? 0) ^ 1;
    stream.write(readRes.subarray(0, 4));
    stream.write(Buffer.concat([readRes.subarray(4), bad, encodeException(1, 4, 3)]));
    stream.end();
    await done;
    expect(hexes(got)).toEqual(hexes([readRes, encodeException(1, 4, 3)]));
    expect(stream.stats.crcErrors).toBeGreaterThanOrEqual(1);
    expect(stream.stats.frames).toBe(2);
  });

  it("settles an unknown request after gapMs of silence on the injected clock", async () => {
    const clock = new FakeClock(0);
    const stream = new RtuFrameStream({ direction: "request", clock, gapMs: 20 });
    const got: Buffer[] = [];
    stream.on("data", (f: Buffer) => got.push(f));
    const unknown = appendCrc(bytes("01 64 00"));
    stream.write(unknown);
    await clock.advance(19);
    expect(got).toEqual([]);
    await clock.advance(1);
    expect(hexes(got)).toEqual(hexes([unknown]));
    stream.destroy();
    expect(clock.pending()).toBe(0);
  });
});
