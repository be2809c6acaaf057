import { describe, expect, it } from "vitest";
import { FakeClock } from "../clock.js";
import { RtuFrameParser } from "./parser.js";
import type { RtuDirection } from "./framing.js";
import { encodeRequest } from "./request.js";
import { encodeException, encodeResponse } from "./response.js";
import type { ModbusReply, ModbusRequest } from "./types.js";

/** mulberry32: a seeded generator keeps the test reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const words = (r: Rand, n: number): number[] => Array.from({ length: n }, () => int(r, 0, 0xffff));

function randomRequest(r: Rand): Buffer {
  const unitId = int(r, 1, 247);
  const address = int(r, 0, 1000);
  const pick: ModbusRequest[] = [
    { kind: "readHolding", unitId, address, quantity: int(r, 1, 125) },
    { kind: "readInput", unitId, address, quantity: int(r, 1, 125) },
    { kind: "writeSingle", unitId, address, value: int(r, 0, 0xffff) },
    { kind: "writeMultiple", unitId, address, values: words(r, int(r, 1, 12)) },
    { kind: "readCoils", unitId, address, quantity: int(r, 1, 64) },
    { kind: "writeCoil", unitId, address, value: r() < 0.5 },
  ];
  return encodeRequest(pick[int(r, 0, pick.length - 1)] ?? pick[0]!);
}

function randomReply(r: Rand): Buffer {
  const unitId = int(r, 1, 247);
  const address = int(r, 0, 1000);
  const pick: ModbusReply[] = [
    { kind: "readHolding", unitId, values: words(r, int(r, 1, 20)) },
    { kind: "readInput", unitId, values: words(r, int(r, 1, 5)) },
    { kind: "writeSingle", unitId, address, value: int(r, 0, 0xffff) },
    { kind: "writeMultiple", unitId, address, quantity: int(r, 1, 123) },
    { kind: "readCoils", unitId, bits: Array.from({ length: int(r, 1, 40) }, () => r() < 0.5) },
  ];
  if (r() < 0.15) return encodeException(unitId, int(r, 1, 6), int(r, 1, 4));
  return encodeResponse(pick[int(r, 0, pick.length - 1)] ?? pick[0]!);
}

/**
 * Noise between frames: random bytes, a real frame with one bit flipped, or a frame cut short. A frame is
 * cut short only by a sender that stopped, so a silence follows it: without one, RTU itself cannot tell
 * whether the next frame's first byte completes it (1 chance in 256 the CRC agrees).
 */
function noise(r: Rand, frame: () => Buffer): { bytes: Buffer; silenceAfter: boolean } {
  const which = r();
  if (which < 0.5) return { bytes: Buffer.from(Array.from({ length: int(r, 1, 12) }, () => int(r, 0, 255))), silenceAfter: false };
  const f = frame();
  if (which < 0.8) {
    const i = int(r, 0, f.length - 1);
    f[i] = (f[i] ?? 0) ^ (1 << int(r, 0, 7));
    return { bytes: f, silenceAfter: false };
  }
  return { bytes: f.subarray(0, int(r, 1, f.length - 1)), silenceAfter: true };
}

function isSubsequence(wanted: string[], got: string[]): boolean {
  let i = 0;
  for (const g of got) if (g === wanted[i]) i++;
  return i === wanted.length;
}

/** Bursts of bytes separated by silences of at least gapMs. */
function traffic(direction: RtuDirection, r: Rand): { wanted: string[]; bursts: Buffer[] } {
  const frame = direction === "request" ? () => randomRequest(r) : () => randomReply(r);
  const bursts: Buffer[] = [];
  const wanted: string[] = [];
  let burst: Buffer[] = [];
  const endBurst = (): void => {
    bursts.push(Buffer.concat(burst));
    burst = [];
  };
  for (let n = int(r, 1, 6); n > 0; n--) {
    if (r() < 0.5) {
      const junk = noise(r, frame);
      burst.push(junk.bytes);
      if (junk.silenceAfter) endBurst();
    }
    const f = frame();
    wanted.push(f.toString("hex"));
    burst.push(f);
    if (r() < 0.2) endBurst();
  }
  endBurst();
  return { wanted, bursts };
}

function runOnce(direction: RtuDirection, r: Rand): { wanted: string[]; got: string[] } {
  const { wanted, bursts } = traffic(direction, r);
  const clock = new FakeClock(0);
  const parser = new RtuFrameParser({ direction, clock, gapMs: 50 });
  const got: string[] = [];
  const take = (frames: Buffer[]): void => void got.push(...frames.map((f) => f.toString("hex")));
  for (const burst of bursts) {
    for (let at = 0; at < burst.length; ) {
      const size = r() < 0.3 ? 1 : int(r, 1, 40);
      take(parser.push(burst.subarray(at, at + size)));
      at += size;
      void clock.advance(int(r, 0, 5));
    }
    void clock.advance(50);
  }
  take(parser.flush());
  return { wanted, got };
}

describe("RtuFrameParser under noise (randomised, seeded)", () => {
  it.each<[RtuDirection, number]>([
    ["request", 0x10a],
    ["response", 0x5ca1ab1e],
  ])("recovers every valid %s frame from 1000 noisy streams", (direction, seed) => {
    const r = rng(seed);
    let frames = 0;
    for (let i = 0; i < 1000; i++) {
      const { wanted, got } = runOnce(direction, r);
      frames += wanted.length;
      if (!isSubsequence(wanted, got)) expect({ iteration: i, got }).toEqual({ iteration: i, got: wanted });
    }
    expect(frames).toBeGreaterThan(2000);
  });
});
