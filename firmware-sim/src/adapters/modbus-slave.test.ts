// ModbusSlave over the in-process duplex pair (ARCHITECTURE §5): framing, silence, line faults.
import { FakeClock, appendCrc, encodeRequest, getProfile } from "@loa/shared";
import { afterEach, describe, expect, it } from "vitest";
import { AmpEngine } from "../core/amp-engine.js";
import { TestMaster, settle } from "../testing/test-master.js";
import { createDuplexPair } from "../transport/duplex-pair.js";
import { ModbusSlave } from "./modbus-slave.js";

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** `random` cycles through `values`, so noise tests are deterministic. */
function cycle(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
}

function setup(opts: { chunkBytes?: number; random?: () => number } = {}) {
  const clock = new FakeClock();
  const engine = new AmpEngine({ profile: getProfile("loa-amp-v1"), clock, ...(opts.random ? { random: opts.random } : {}) });
  const [masterEnd, slaveEnd] = createDuplexPair(opts.chunkBytes ? { chunkBytes: opts.chunkBytes } : {});
  const slave = new ModbusSlave({ engine, stream: slaveEnd, clock });
  const master = new TestMaster(masterEnd);
  closers.push(() => {
    slave.close();
    masterEnd.destroy();
    slaveEnd.destroy();
  });
  return { clock, engine, slave, master };
}

const readStatus = { kind: "readInput", unitId: 1, address: 16, quantity: 5 } as const;

describe("ModbusSlave framing", () => {
  it("answers a read with the exact reply bytes", async () => {
    const { master } = setup();
    await master.ask({ kind: "readHolding", unitId: 1, address: 0, quantity: 2 });
    expect(master.bytes).toEqual(appendCrc(Buffer.from([1, 3, 4, 0, 0, 0, 0])));
  });

  it("cuts requests split into single bytes and two requests in one chunk", async () => {
    const { master } = setup({ chunkBytes: 1 });
    const two = Buffer.concat([
      encodeRequest({ kind: "writeSingle", unitId: 1, address: 1, value: 33 }),
      encodeRequest({ kind: "readHolding", unitId: 1, address: 1, quantity: 1 }),
    ]);
    const replies = await master.ask(two);
    expect(replies).toEqual([
      { kind: "writeSingle", unitId: 1, address: 1, value: 33 },
      { kind: "readHolding", unitId: 1, values: [33] },
    ]);
  });

  it("stays silent on a bad CRC and answers the next good frame", async () => {
    const { master, slave } = setup();
    const bad = encodeRequest(readStatus);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0xff;
    expect(await master.ask(bad)).toEqual([]);
    expect(await master.ask(readStatus)).toHaveLength(1);
    expect(slave.stats.crcErrors).toBeGreaterThan(0);
  });

  it("answers exception 01 to a function of unknown layout once the line falls silent", async () => {
    const { master, clock } = setup();
    master.send(appendCrc(Buffer.from([1, 0x41, 9, 9])));
    await settle();
    expect(master.take()).toEqual([]);
    await clock.advance(50);
    await settle();
    expect(master.take()).toEqual([{ kind: "exception", unitId: 1, functionCode: 0x41, exceptionCode: 1 }]);
  });

  it("never answers another unit or a broadcast", async () => {
    const { master, slave } = setup();
    expect(await master.ask({ kind: "readHolding", unitId: 2, address: 0, quantity: 1 })).toEqual([]);
    expect(await master.ask({ kind: "writeSingle", unitId: 0, address: 1, value: 5 })).toEqual([]);
    expect(master.bytes).toHaveLength(0);
    expect(slave.stats.replies).toBe(0);
  });

  it("stops answering after close()", async () => {
    const { master, slave } = setup();
    slave.close();
    expect(await master.ask(readStatus)).toEqual([]);
  });
});

describe("ModbusSlave line faults", () => {
  it("no_response: silent, and the write is not applied; answers again once cleared", async () => {
    const { master, engine } = setup();
    engine.setFault("no_response", true);
    expect(await master.ask({ kind: "writeSingle", unitId: 1, address: 1, value: 70 })).toEqual([]);
    expect(engine.trace().at(-1)).toMatchObject({ dir: "request", note: "no_response" });
    engine.setFault("no_response", false);
    expect(await master.ask({ kind: "readHolding", unitId: 1, address: 1, quantity: 1 })).toEqual([
      { kind: "readHolding", unitId: 1, values: [0] },
    ]);
  });

  it("slow_response: the reply comes exactly N ms later; clearing restores immediate replies", async () => {
    const { master, engine, clock } = setup();
    engine.setResponseDelay(300);
    master.send(readStatus);
    await settle();
    await clock.advance(299);
    expect(master.take()).toEqual([]);
    await clock.advance(1);
    await settle();
    expect(master.take()).toHaveLength(1);
    expect(engine.trace().at(-1)).toMatchObject({ dir: "reply", delayMs: 300 });
    engine.setFault("slow_response", false);
    expect(await master.ask(readStatus)).toHaveLength(1);
    engine.setFault("slow_response", true);
    expect(engine.state().responseDelayMs).toBe(300);
  });

  it("slow_response cleared while a reply waits: the next reply still comes after it, in request order", async () => {
    const { master, engine, clock } = setup();
    engine.setResponseDelay(300);
    master.send({ kind: "readHolding", unitId: 1, address: 0, quantity: 1 });
    await settle();
    engine.setFault("slow_response", false);
    master.send({ kind: "readHolding", unitId: 1, address: 1, quantity: 2 });
    await settle();
    expect(master.take()).toEqual([]);
    await clock.advance(300);
    await settle();
    expect(master.take().map((r) => (r.kind === "readHolding" ? r.values.length : -1))).toEqual([1, 2]);
  });

  it("crc_noise rate 1 corrupt: every reply fails its CRC at the master", async () => {
    // draws: 0 → hit; 0.5 → byte 7 of 15 (a data byte); 0.5 → bit 4
    const { master, engine } = setup({ random: cycle([0, 0.5, 0.5]) });
    engine.setNoise({ rate: 1 });
    for (let i = 0; i < 5; i++) expect(await master.ask(readStatus)).toEqual([]);
    expect(master.crcErrors).toBeGreaterThanOrEqual(5);
    expect(master.bytes.length).toBe(5 * 15);
    expect(engine.trace().filter((e) => e.note === "corrupted")).toHaveLength(5);
    engine.setFault("crc_noise", false);
    expect(await master.ask(readStatus)).toHaveLength(1);
  });

  it("crc_noise rate 0.5: replies hit when the draw falls below the rate", async () => {
    const { master, engine } = setup({ random: cycle([0.9, 0.2, 0.3, 0.6]) });
    engine.setNoise({ rate: 0.5 });
    // draws: 0.9 → clean; 0.2 → hit (then 0.3, 0.6 pick the byte and bit); 0.9 → clean …
    expect(await master.ask(readStatus)).toHaveLength(1);
    expect(await master.ask(readStatus)).toEqual([]);
    expect(await master.ask(readStatus)).toHaveLength(1);
  });

  it("crc_noise garbage: bytes before an intact reply, which a resyncing master still finds", async () => {
    const { master, engine } = setup({ random: cycle([0, 0.99, 0.5, 0.25, 0.75]) });
    engine.setNoise({ rate: 1, mode: "garbage" });
    const replies = await master.ask({ kind: "readHolding", unitId: 1, address: 0, quantity: 1 });
    expect(replies).toEqual([{ kind: "readHolding", unitId: 1, values: [0] }]);
    expect(master.bytes.length).toBe(7 + 4);
    expect(engine.trace().at(-1)).toMatchObject({ note: "garbage" });
  });
});
