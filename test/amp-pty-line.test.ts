/**
 * Line faults over a real serial line (ARCHITECTURE §5): `no_response` and `slow_response` injected into the
 * compiled `loa-sim amp` (a child process on one end of a socat PTY pair) through its HTTP control, and seen by
 * the edge-agent driver on the other end. Counts what went over the line in the simulator's register trace.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { SystemClock, type ModbusRequest } from "@loa/shared";
import { waitFor } from "../edge-agent/src/adapters/amp/transport-contract.fixture.js";
import { AmpMonitor, type AmpMonitorEvent } from "../edge-agent/src/core/amp-monitor.js";
import { AmpError } from "../edge-agent/src/ports/amplifier.js";
import { SimLine, type TraceEntry } from "./support/amp-pty.js";
import { ensureBuilt } from "./support/processes.js";
import { requireTool } from "./support/tools.js";

const TIMEOUT_MS = 400;
const RETRIES = 2;
const ATTEMPTS = RETRIES + 1;
const POLL_MS = 100;
const UNREACHABLE_AFTER = 3;
/** Two reads alike on the wire but for the value: a late reply to one fits the other (FC 03, one register). */
const READ_VOLUME: ModbusRequest = { kind: "readHolding", unitId: 1, address: 1, quantity: 1 };
const READ_ZONES: ModbusRequest = { kind: "readHolding", unitId: 1, address: 4, quantity: 1 };
const VOLUME = 37;
const ZONES = 9;

const log = pino({ level: "silent" });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const requestsSince = (trace: TraceEntry[], since: number, until = Infinity): TraceEntry[] =>
  trace.filter((e) => e.dir === "request" && e.t >= since && e.t <= until);
/** The value a one-register read returned. */
const valueOf = async (p: Promise<unknown>): Promise<number | undefined> => {
  const reply = await p;
  return typeof reply === "object" && reply !== null && "values" in reply && Array.isArray(reply.values) ? (reply.values[0] as number) : undefined;
};

describe.skipIf(!requireTool("socat"))("line faults injected into loa-sim amp, seen by the driver over a socat PTY [ARCHITECTURE §5]", () => {
  let line: SimLine | undefined;
  let monitor: AmpMonitor | undefined;
  const the = () => {
    if (!line) throw new Error("set-up failed");
    return { sim: line.sim, ...line.d };
  };

  beforeAll(() => ensureBuilt(), 320_000);

  beforeAll(async () => {
    line = await SimLine.open("loa-amp-v1", { timeoutMs: TIMEOUT_MS, retries: RETRIES });
    await line.sim.post("/register", { name: "volume", raw: VOLUME });
    await line.sim.post("/register", { name: "zones", raw: ZONES });
    expect(await valueOf(line.d.master.request(READ_VOLUME))).toBe(VOLUME);
  }, 120_000);

  afterEach(async () => {
    monitor?.stop();
    await line?.sim.post("/clear", {});
    await monitor?.poll(); // let a poll still in flight end, so its requests do not land in the next test
    monitor = undefined;
  });

  afterAll(() => line?.close());

  it("no_response: a request fails with amp_timeout after exactly 1 + retries attempts, each a timeout apart", async () => {
    const { sim, master } = the();
    const before = master.stats;
    await sim.post("/fault", { name: "no_response", on: true });
    const since = Date.now();
    const error = await master.request(READ_VOLUME).then(() => undefined, (e: unknown) => e);
    const elapsed = Date.now() - since;
    expect(error).toBeInstanceOf(AmpError);
    expect(error).toMatchObject({ code: "amp_timeout", details: { attempts: ATTEMPTS } });
    expect((error as AmpError).message).toBe(`no reply from amplifier unit 1 to readHolding 1 (FC 03) within ${TIMEOUT_MS} ms, ${ATTEMPTS} attempts`);
    expect(elapsed).toBeGreaterThanOrEqual(ATTEMPTS * TIMEOUT_MS - 5);
    expect(elapsed).toBeLessThan(ATTEMPTS * TIMEOUT_MS + 500);
    await sleep(2 * TIMEOUT_MS); // nothing more goes out for that request
    const sent = requestsSince(await sim.trace(), since);
    expect(sent.map((e) => `FC ${e.fc} ${e.address} ${e.note}`)).toEqual(Array(ATTEMPTS).fill("FC 3 1 no_response"));
    // Spread over the timeouts, not sent back to back (the simulator stamps a request when its event loop read it).
    expect((sent[ATTEMPTS - 1]?.t ?? 0) - (sent[0]?.t ?? 0)).toBeGreaterThanOrEqual(RETRIES * TIMEOUT_MS - 200);
    expect((await sim.trace()).filter((e) => e.dir === "reply" && e.t >= since)).toEqual([]);
    const after = master.stats;
    expect({
      attempts: after.attempts - before.attempts, retries: after.retries - before.retries,
      timeouts: after.timeouts - before.timeouts, failures: after.failures - before.failures,
    }).toEqual({ attempts: ATTEMPTS, retries: RETRIES, timeouts: ATTEMPTS, failures: 1 });
  });

  it("no_response: the monitor reports unreachable once after 3 failed polls, and recovered once when it answers again", async () => {
    const { sim, amp } = the();
    const seen: (AmpMonitorEvent & { at: number })[] = [];
    monitor = new AmpMonitor({
      amp, clock: new SystemClock(), log, emit: (e) => void seen.push({ ...e, at: Date.now() }),
      options: { intervalMs: POLL_MS, unreachableAfter: UNREACHABLE_AFTER },
    });
    const m = monitor;
    const kinds = (): string[] => seen.map((e) => `${e.type}:${e.code}`);
    m.start();
    await waitFor("a first answered poll", () => m.status?.reachable === true, 5_000);
    await sim.post("/fault", { name: "no_response", on: true });
    const since = Date.now();
    const budget = UNREACHABLE_AFTER * (ATTEMPTS * TIMEOUT_MS + POLL_MS);
    await waitFor("amp_fault unreachable", () => seen.length > 0, budget + 3_000);
    const faultAt = seen[0]?.at ?? 0;
    expect(kinds()).toEqual(["amp_fault:unreachable"]);
    expect(faultAt - since).toBeGreaterThanOrEqual(UNREACHABLE_AFTER * ATTEMPTS * TIMEOUT_MS - 50);
    // Each failed poll is its first read (FC 03 of the controls) tried 1 + retries times, nothing else.
    const polls = requestsSince(await sim.trace(), since, faultAt);
    expect(polls.map((e) => `FC ${e.fc} ${e.address}..${(e.address ?? 0) + (e.quantity ?? 0) - 1} ${e.note}`))
      .toEqual(Array(UNREACHABLE_AFTER * ATTEMPTS).fill("FC 3 0..4 no_response"));
    expect(seen[0]?.type === "amp_fault" ? seen[0].detail : "").toMatch(/^no answer to 3 status polls in a row: .*\(amp_timeout\)$/);
    expect(m.status).toMatchObject({ reachable: false, faults: ["unreachable"] });

    await sleep(2 * ATTEMPTS * TIMEOUT_MS + 2 * POLL_MS); // two more failed polls: no second event
    expect(requestsSince(await sim.trace(), faultAt).length).toBeGreaterThanOrEqual(2 * ATTEMPTS);
    expect(kinds()).toEqual(["amp_fault:unreachable"]);

    await sim.post("/fault", { name: "no_response", on: false });
    const cleared = Date.now();
    await waitFor("amp_recovered unreachable", () => seen.length > 1, ATTEMPTS * TIMEOUT_MS + POLL_MS + 3_000);
    await sleep(5 * POLL_MS); // more answered polls: no second event
    expect(kinds()).toEqual(["amp_fault:unreachable", "amp_recovered:unreachable"]);
    expect(m.status).toMatchObject({ reachable: true, faults: [] });
    expect((await sim.trace()).filter((e) => e.dir === "reply" && e.t >= cleared).length).toBeGreaterThanOrEqual(4);
  });

  it("slow_response longer than the timeout: each request is retried, and a late reply is never taken for the next request's", async () => {
    const { sim, master } = the();
    const delayMs = Math.round(1.5 * TIMEOUT_MS);
    const before = master.stats;
    await sim.post("/slow", { ms: delayMs });
    expect(await sim.get("/state")).toMatchObject({ responseDelayMs: delayMs, faults: ["slow_response"] });
    const since = Date.now();
    // Queued back to back: each one goes out just as the late reply to the one before is due.
    const values = await Promise.all([READ_VOLUME, READ_ZONES, READ_VOLUME, READ_ZONES].map((req) => valueOf(master.request(req))));
    expect(values).toEqual([VOLUME, ZONES, VOLUME, ZONES]);
    await sim.post("/fault", { name: "slow_response", on: false });
    await sleep(delayMs + TIMEOUT_MS); // the replies still delayed in the simulator arrive, and are dropped
    const after = master.stats;
    // Every request timed out at least once, and a retry took the (late) answer to its first attempt. Normally
    // each goes out twice (1, 1, 4, 4, 1, 1, 4, 4): the late reply to A's second attempt comes while B waits.
    const sent = requestsSince(await sim.trace(), since);
    expect(sent.map((e) => e.address).filter((a, i, all) => a !== all[i - 1])).toEqual([1, 4, 1, 4]);
    expect(sent.length).toBeGreaterThanOrEqual(8);
    expect(after.timeouts - before.timeouts).toBeGreaterThanOrEqual(4);
    expect(after.failures - before.failures).toBe(0);
    // Each reply the simulator sent is accounted for: four answers taken, every other one dropped as late.
    expect(after.staleFrames - before.staleFrames).toBe(sent.length - 4);
    // The line is clean again: answers at once, each to its own request.
    expect(await valueOf(master.request(READ_ZONES))).toBe(ZONES);
    expect(await valueOf(master.request(READ_VOLUME))).toBe(VOLUME);
    expect(master.stats.timeouts).toBe(after.timeouts);
  });

  it("slow_response shorter than the timeout: requests succeed first time, each at least the delay late", async () => {
    const { sim, master, amp } = the();
    const delayMs = Math.round(TIMEOUT_MS / 2);
    const timed = async (p: () => Promise<unknown>): Promise<number> => {
      const t0 = performance.now();
      await p();
      return performance.now() - t0;
    };
    const fast = await timed(() => master.request(READ_VOLUME));
    expect(fast).toBeLessThan(delayMs);
    const before = master.stats;
    await sim.post("/slow", { ms: delayMs });
    for (const req of [READ_VOLUME, READ_ZONES, READ_VOLUME]) {
      const ms = await timed(() => master.request(req));
      expect(ms).toBeGreaterThanOrEqual(delayMs);
      expect(ms).toBeLessThan(TIMEOUT_MS);
    }
    // A status read is two requests (controls, readings): two delays.
    expect(await timed(() => amp.readStatus())).toBeGreaterThanOrEqual(2 * delayMs);
    const after = master.stats;
    expect({ attempts: after.attempts - before.attempts, timeouts: after.timeouts - before.timeouts, staleFrames: after.staleFrames - before.staleFrames })
      .toEqual({ attempts: 5, timeouts: 0, staleFrames: 0 });
    const replies = (await sim.trace()).filter((e) => e.dir === "reply").slice(-5);
    expect(replies.map((e) => e.delayMs)).toEqual(Array(5).fill(delayMs));
  });
});
