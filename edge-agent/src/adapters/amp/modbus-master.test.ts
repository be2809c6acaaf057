import { afterEach, describe, expect, it } from "vitest";
import { encodeResponse, type ModbusRequest } from "@loa/shared";
import { AmpError } from "../../ports/amplifier.js";
import { makeRig, type Rig } from "./test-rig.fixture.js";

const U = 1;
const readControls: ModbusRequest = { kind: "readHolding", unitId: U, address: 0, quantity: 5 };
const readInputs: ModbusRequest = { kind: "readInput", unitId: U, address: 16, quantity: 5 };
const writeVolume = (value: number): ModbusRequest => ({ kind: "writeSingle", unitId: U, address: 1, value });
const readOne = (address: number): ModbusRequest => ({ kind: "readHolding", unitId: U, address, quantity: 1 });

let rig: Rig | undefined;
afterEach(async () => {
  rig?.master.dispose();
  await rig?.transport.close();
  rig = undefined;
});

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Follow `p` without awaiting it: `result` is set once it settles (undefined while pending). */
function track<T>(p: Promise<T>): { result: Outcome<T> | undefined } {
  const t: { result: Outcome<T> | undefined } = { result: undefined };
  p.then(
    (value) => (t.result = { ok: true, value }),
    (error: unknown) => (t.result = { ok: false, error }),
  );
  return t;
}

/** Track `p` while `ms` of fake time pass. */
async function settled<T>(r: Rig, p: Promise<T>, ms: number, stepMs?: number): Promise<{ result: Outcome<T> | undefined }> {
  const t = track(p);
  await r.run(ms, stepMs);
  return t;
}

/** The AmpError `t` settled with (fails the test at once when it is pending or resolved). */
function ampError(t: { result: Outcome<unknown> | undefined }): AmpError {
  expect(t.result, "settled").toBeDefined();
  expect(t.result?.ok, "rejected").toBe(false);
  const error = t.result && !t.result.ok ? t.result.error : undefined;
  expect(error).toBeInstanceOf(AmpError);
  return error as AmpError;
}

describe("ModbusMaster", () => {
  it("reads and writes registers, one checked reply per request", async () => {
    rig = await makeRig();
    const read = track(rig.master.request(readInputs));
    await rig.run(10);
    expect(read.result).toEqual({ ok: true, value: { kind: "readInput", unitId: U, values: [0, 215, 240, 0, 0x0102] } });
    const write = track(rig.master.request(writeVolume(40)));
    await rig.run(10);
    expect(write.result).toMatchObject({ ok: true, value: { kind: "writeSingle", address: 1, value: 40 } });
    expect(rig.slave.holding.get(1)).toBe(40);
    expect(rig.master.stats).toMatchObject({ requests: 2, attempts: 2, retries: 0, timeouts: 0, failures: 0 });
  });

  it("retries a request that got no answer, then succeeds (timeouts counted)", async () => {
    rig = await makeRig({ timeoutMs: 300, retries: 2 });
    rig.slave.next({ kind: "silent" });
    const t0 = rig.clock.now();
    const read = track(rig.master.request(readControls));
    await rig.run(290);
    expect(rig.slave.trace).toHaveLength(1);
    await rig.run(30);
    expect(rig.slave.trace).toHaveLength(2);
    expect((rig.slave.trace[1]?.t ?? 0) - t0).toBe(300);
    expect(read.result).toMatchObject({ ok: true, value: { values: [0, 0, 1, 0, 15] } });
    expect(rig.master.stats).toMatchObject({ attempts: 2, retries: 1, timeouts: 1, failures: 0 });
  });

  it("gives up after 1 + retries attempts with amp_timeout naming the request", async () => {
    rig = await makeRig({ timeoutMs: 300, retries: 2 });
    rig.slave.next({ kind: "silent" }, { kind: "silent" }, { kind: "silent" }, { kind: "silent" });
    const t0 = rig.clock.now();
    const err = track(rig.master.request(readInputs));
    await rig.run(1_000);
    const e = ampError(err);
    expect(e.code).toBe("amp_timeout");
    expect(e.message).toContain("readInput 16..20 (FC 04)");
    expect(e.message).toContain("3 attempts");
    expect(rig.slave.trace.map((x) => x.t - t0)).toEqual([0, 300, 600]);
    expect(rig.master.stats).toMatchObject({ attempts: 3, retries: 2, timeouts: 3, failures: 1 });
  });

  it("retries a reply with a bad CRC as soon as the line is quiet, and keeps the good value", async () => {
    rig = await makeRig({ timeoutMs: 300, retries: 2, gapMs: 50 });
    rig.slave.next({ kind: "badCrc" });
    const t0 = rig.clock.now();
    const read = track(rig.master.request(readInputs));
    await rig.run(100);
    expect(read.result).toMatchObject({ ok: true, value: { values: [0, 215, 240, 0, 0x0102] } });
    expect(rig.slave.trace).toHaveLength(2);
    expect((rig.slave.trace[1]?.t ?? 0) - t0).toBeLessThan(100);
    expect(rig.master.stats.crcErrors).toBeGreaterThanOrEqual(1);
    expect(rig.master.stats).toMatchObject({ retries: 1, timeouts: 0, failures: 0 });
  });

  it("a write whose echo is corrupted is retried and the register ends at the written value", async () => {
    rig = await makeRig();
    rig.slave.next({ kind: "badCrc" });
    const write = track(rig.master.request(writeVolume(55)));
    await rig.run(200);
    expect(write.result).toMatchObject({ ok: true });
    expect(rig.slave.writes()).toEqual(["1=55", "1=55"]);
    expect(rig.slave.holding.get(1)).toBe(55);
  });

  it("fails with amp_crc when every reply is corrupted", async () => {
    rig = await makeRig({ retries: 1 });
    rig.slave.next({ kind: "badCrc" }, { kind: "badCrc" });
    const err = track(rig.master.request(readControls));
    await rig.run(400);
    expect(ampError(err).code).toBe("amp_crc");
    expect(rig.slave.trace).toHaveLength(2);
  });

  it("finds the reply behind line noise without a retry", async () => {
    rig = await makeRig();
    rig.slave.next({ kind: "noise", bytes: [0x01, 0x03, 0xff] });
    const read = track(rig.master.request(readControls));
    await rig.run(20);
    expect(read.result).toMatchObject({ ok: true, value: { values: [0, 0, 1, 0, 15] } });
    expect(rig.master.stats.retries).toBe(0);
  });

  it.each([
    [1, "illegal function", { kind: "unknown", unitId: U, functionCode: 0x2b, data: Buffer.from([0x0e, 0x01, 0x00]) }],
    [2, "illegal data address", { kind: "readHolding", unitId: U, address: 90, quantity: 2 }],
    [3, "illegal data value", writeVolume(150)],
  ] as [number, string, ModbusRequest][])("exception %i surfaces as amp_exception with exceptionCode (%s), not retried", async (code, name, req) => {
    rig = await makeRig();
    const err = track(rig.master.request(req));
    await rig.run(20);
    const e = ampError(err);
    expect(e.code).toBe("amp_exception");
    expect(e.exceptionCode).toBe(code);
    expect(e.message).toContain(`exception 0${code} (${name})`);
    expect(rig.slave.trace).toHaveLength(1);
    expect(rig.master.stats).toMatchObject({ exceptions: 1, retries: 0 });
  });

  it("a scripted exception on a valid request is reported the same way", async () => {
    rig = await makeRig();
    rig.slave.next({ kind: "exception", code: 4 });
    const err = track(rig.master.request(readInputs));
    await rig.run(20);
    const e = ampError(err);
    expect(e).toMatchObject({ code: "amp_exception", exceptionCode: 4 });
    expect(e.message).toContain("server device failure");
  });

  it("never takes a late reply to an earlier request for the answer to the next one", async () => {
    rig = await makeRig({ timeoutMs: 300, retries: 0 });
    rig.slave.next({ kind: "late", ms: 350 });
    const first = track(rig.master.request(writeVolume(20)));
    await rig.run(300);
    expect(ampError(first).code).toBe("amp_timeout");
    // The next request's own reply is held back past the late echo of "1=20".
    rig.slave.next({ kind: "late", ms: 100 });
    const second = track(rig.master.request(writeVolume(30)));
    await rig.run(120);
    expect(second.result).toMatchObject({ ok: true, value: { address: 1, value: 30 } });
    expect(rig.master.stats.staleFrames).toBe(1);
  });

  // Two reads of one register each look alike on the wire: only the order tells whose reply a frame is.
  it("never takes a late reply to a timed-out read for the answer to the next read of the same shape", async () => {
    rig = await makeRig({ timeoutMs: 300, retries: 0 });
    rig.slave.holding.set(1, 37);
    rig.slave.next({ kind: "late", ms: 350 }, { kind: "late", ms: 100 });
    const first = track(rig.master.request(readOne(1)));
    await rig.run(300);
    expect(ampError(first).code).toBe("amp_timeout");
    const second = track(rig.master.request(readOne(4)));
    await rig.run(120); // the reply "37" to the first read comes at 350, the second's own "15" at 400
    expect(second.result).toEqual({ ok: true, value: { kind: "readHolding", unitId: U, values: [15] } });
    expect(rig.master.stats).toMatchObject({ staleFrames: 1, timeouts: 1 });
  });

  it("a retry takes the late reply to its own first attempt; the second attempt's reply, later still, is dropped", async () => {
    rig = await makeRig({ timeoutMs: 300, retries: 1 });
    rig.slave.holding.set(1, 37);
    // A: attempts at 0 and 300, replies at 400 and 700. B goes out at 400, its replies come at 750 and 1050.
    rig.slave.next({ kind: "late", ms: 400 }, { kind: "late", ms: 400 }, { kind: "late", ms: 350 }, { kind: "late", ms: 350 });
    const t0 = rig.clock.now();
    const a = track(rig.master.request(readOne(4)));
    const b = track(rig.master.request(readOne(1)));
    await rig.run(800);
    expect(a.result).toEqual({ ok: true, value: { kind: "readHolding", unitId: U, values: [15] } });
    expect(b.result).toEqual({ ok: true, value: { kind: "readHolding", unitId: U, values: [37] } });
    expect(rig.slave.trace.map((x) => x.t - t0)).toEqual([0, 300, 400, 700]);
    expect(rig.master.stats).toMatchObject({ attempts: 4, timeouts: 2, staleFrames: 1, failures: 0 });
    await rig.run(300); // B's second reply, with nothing asked, is dropped
    const c = track(rig.master.request(readOne(4)));
    await rig.run(10);
    expect(c.result).toMatchObject({ ok: true, value: { values: [15] } });
    expect(rig.master.stats.staleFrames).toBe(2);
  });

  it("stops waiting for a late reply lateReplyMs after its timeout, or when the line closes", async () => {
    rig = await makeRig({ timeoutMs: 300, retries: 0, lateReplyMs: 500 });
    rig.slave.next({ kind: "silent" });
    expect(ampError(await settled(rig, rig.master.request(readOne(1)), 300)).code).toBe("amp_timeout");
    await rig.run(500);
    expect((await settled(rig, rig.master.request(readOne(4)), 10)).result).toMatchObject({ ok: true, value: { values: [15] } });
    rig.slave.next({ kind: "silent" });
    expect(ampError(await settled(rig, rig.master.request(readOne(1)), 300)).code).toBe("amp_timeout");
    rig.slaveEnd()?.destroy(); // the line is lost and reopened: nothing late comes over the new one
    await rig.run(200, 20);
    expect(rig.transport.isOpen).toBe(true);
    expect((await settled(rig, rig.master.request(readOne(4)), 10)).result).toMatchObject({ ok: true, value: { values: [15] } });
    expect(rig.master.stats.staleFrames).toBe(0);
  });

  it("keeps the owed list bounded while the slave stays silent (many failed requests)", async () => {
    const r = (rig = await makeRig({ timeoutMs: 300, retries: 2, lateReplyMs: 1_000 }));
    r.slave.next(...Array.from({ length: 600 }, () => ({ kind: "silent" }) as const));
    const polls = Array.from({ length: 200 }, () => track(r.master.request(readControls)));
    let most = 0;
    for (let t = 0; t < 200 * 900 + 100; t += 100) {
      await rig.run(100, 100);
      most = Math.max(most, rig.master.stats.owed);
    }
    expect(polls.map((p) => p.result?.ok)).toEqual(Array(200).fill(false));
    expect(rig.master.stats).toMatchObject({ attempts: 600, timeouts: 600, failures: 200 });
    // One timeout per 300 ms, each owed for 1000 ms: never more than 4 at once (not 600).
    expect(most).toBe(4);
    expect(rig.master.stats.owed).toBeLessThanOrEqual(4);
  });

  it("keeps the owed list capped and waits at most lateReplyMs when the wall clock stands still or steps back", async () => {
    rig = await makeRig({ timeoutMs: 300, retries: 2, lateReplyMs: 1_000 });
    // A Pi has no RTC: its wall clock can stand or step back (NTP), so nothing owed would expire by the clock.
    // (Timers still run on the fake clock's own time.)
    const frozen = rig.clock.now();
    let wall = frozen;
    rig.clock.now = () => wall;
    rig.slave.next(...Array.from({ length: 60 }, () => ({ kind: "silent" }) as const));
    for (let i = 0; i < 20; i++) ampError(await settled(rig, rig.master.request(readOne(1)), 900, 100));
    expect(rig.master.stats).toMatchObject({ timeouts: 60, owed: 4 });
    wall = frozen - 3_600_000;
    // The slave answers again: the first answer to register 4 is taken for a late one to register 1 and dropped,
    // the retry goes out after lateReplyMs of quiet, forgets what is owed and is answered.
    const next = await settled(rig, rig.master.request(readOne(4)), 300 + 1_000 + 100, 100);
    expect(next.result).toEqual({ ok: true, value: { kind: "readHolding", unitId: U, values: [15] } });
    expect(rig.master.stats).toMatchObject({ attempts: 62, staleFrames: 1, owed: 0 });
  });

  // A silent slave never pays what it owes: its owed attempts must not eat the answers to a later request.
  it("after a silent slave comes back, a different request of the same shape succeeds on its retry", async () => {
    rig = await makeRig({ timeoutMs: 300, retries: 2, lateReplyMs: 1_000 });
    rig.slave.holding.set(1, 37);
    rig.slave.next({ kind: "silent" }, { kind: "silent" }, { kind: "silent" });
    const t0 = rig.clock.now();
    expect(ampError(await settled(rig, rig.master.request(readOne(1)), 900)).code).toBe("amp_timeout");
    const second = await settled(rig, rig.master.request(readOne(4)), 1_400);
    expect(second.result).toEqual({ ok: true, value: { kind: "readHolding", unitId: U, values: [15] } });
    // First attempt at 900: its answer fits the owed read of register 1 and is dropped. The retry waits until
    // nothing owed can still come (the first attempt's own late reply, owed until 1200 + 1000), then goes out.
    expect(rig.slave.trace.map((x) => x.t - t0)).toEqual([0, 300, 600, 900, 2_200]);
    expect(rig.master.stats).toMatchObject({ attempts: 5, timeouts: 4, staleFrames: 1, failures: 1, owed: 0 });
    // Nothing is left owed: the next read of the same shape is answered first time.
    const third = await settled(rig, rig.master.request(readOne(1)), 10);
    expect(third.result).toEqual({ ok: true, value: { kind: "readHolding", unitId: U, values: [37] } });
    expect(rig.master.stats).toMatchObject({ attempts: 6, staleFrames: 1 });
  });

  it("a retry held back for a quiet line goes out as soon as the last owed late reply has come (slow slave)", async () => {
    rig = await makeRig({ timeoutMs: 300, retries: 1, lateReplyMs: 1_000 });
    rig.slave.holding.set(1, 37);
    // A (register 1) goes out at 0 and 300, answered at 400 and 750; B (register 4) at 400, answered at 900.
    rig.slave.next({ kind: "late", ms: 400 }, { kind: "late", ms: 450 }, { kind: "late", ms: 500 }, { kind: "late", ms: 250 });
    const t0 = rig.clock.now();
    const a = track(rig.master.request(readOne(1)));
    const b = track(rig.master.request(readOne(4)));
    await rig.run(1_200);
    expect(a.result).toEqual({ ok: true, value: { kind: "readHolding", unitId: U, values: [37] } });
    expect(b.result).toEqual({ ok: true, value: { kind: "readHolding", unitId: U, values: [15] } });
    // B's retry waits for A's second reply (750) and B's first (900), not for them to expire (1700).
    expect(rig.slave.trace.map((x) => x.t - t0)).toEqual([0, 300, 400, 900]);
    expect(rig.master.stats).toMatchObject({ attempts: 4, timeouts: 2, staleFrames: 2, failures: 0, owed: 0 });
  });

  it("drops a stray reply of another function while waiting", async () => {
    rig = await makeRig();
    rig.slave.next({ kind: "late", ms: 30 });
    const read = track(rig.master.request(readInputs));
    await rig.run(5);
    rig.slaveEnd()?.write(encodeResponse({ kind: "readHolding", unitId: U, values: [9, 9, 9, 9, 9] }));
    await rig.run(40);
    expect(read.result).toMatchObject({ ok: true, value: { kind: "readInput", values: [0, 215, 240, 0, 0x0102] } });
    expect(rig.master.stats.staleFrames).toBe(1);
  });

  it("keeps one request on the line at a time (half duplex), in order", async () => {
    rig = await makeRig();
    rig.slave.next({ kind: "late", ms: 100 });
    const a = track(rig.master.request(writeVolume(10)));
    const b = track(rig.master.request(writeVolume(11)));
    const c = track(rig.master.request(readControls));
    await rig.run(50);
    expect(rig.slave.trace).toHaveLength(1);
    await rig.run(100);
    expect([a.result?.ok, b.result?.ok]).toEqual([true, true]);
    expect(c.result).toMatchObject({ ok: true, value: { values: [0, 11, 1, 0, 15] } });
    expect(rig.slave.writes()).toEqual(["1=10", "1=11"]);
  });

  it("fails at once with amp_unreachable when the line is down, and works again when it is back", async () => {
    rig = await makeRig();
    rig.plugged.value = false;
    rig.slaveEnd()?.destroy();
    await rig.run(10);
    expect(rig.transport.state).toBe("waiting");
    const err = track(rig.master.request(readControls));
    await rig.run(1);
    const e = ampError(err);
    expect(e.code).toBe("amp_unreachable");
    expect(e.message).toContain("test-cable");
    rig.plugged.value = true;
    await rig.run(1_000, 50);
    expect(rig.transport.isOpen).toBe(true);
    const read = track(rig.master.request(readControls));
    await rig.run(10);
    expect(read.result).toMatchObject({ ok: true });
  });

  it("a line lost while waiting fails the request as amp_unreachable without waiting for the timeout", async () => {
    rig = await makeRig({ timeoutMs: 300 });
    rig.slave.next({ kind: "silent" });
    rig.plugged.value = false;
    const err = track(rig.master.request(readControls));
    await rig.run(10);
    rig.slaveEnd()?.destroy();
    await rig.run(10);
    expect(ampError(err).code).toBe("amp_unreachable");
    expect(rig.slave.trace).toHaveLength(1);
  });

  it("refuses a request that cannot be encoded without touching the line", async () => {
    rig = await makeRig();
    const err = track(rig.master.request({ kind: "writeSingle", unitId: U, address: 1, value: 70_000 }));
    await rig.run(1);
    const e = ampError(err);
    expect(e.code).toBe("amp_invalid_value");
    expect(rig.slave.trace).toHaveLength(0);
  });
});
