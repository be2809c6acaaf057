import { describe, expect, it } from "vitest";
import pino from "pino";
import { FakeClock } from "@loa/shared";
import { MemoryLink } from "../testing/memory-link.js";
import { TimeSync, TimeSyncError } from "./time-sync.js";

const OFFSET = 5_000; // the cloud clock is 5 s ahead of the device
const log = pino({ level: "silent" });

interface Leg {
  up: number;
  down: number;
  lost?: boolean;
  /** The cloud's clock minus the device's for this answer (default OFFSET; another value = a stepped clock). */
  offset?: number;
}

/** A cloud answering time/req with its own clock (device + OFFSET) after the given one-way delays. */
function cloud(link: MemoryLink, clock: FakeClock, legs: Leg[]): { requests: number[] } {
  const requests: number[] = [];
  link.onSent((msg) => {
    if (msg.kind !== "timeReq") return;
    const { t0 } = JSON.parse(msg.bytes.toString()) as { t0: number };
    const leg = legs[requests.length % legs.length] ?? { up: 10, down: 10 };
    requests.push(t0);
    if (leg.lost) return;
    clock.setTimeout(() => {
      const t1 = clock.now() + (leg.offset ?? OFFSET);
      clock.setTimeout(() => link.deliver("timeRes", { t0, t1, t2: t1 }), leg.down);
    }, leg.up);
  });
  return { requests };
}

async function setup(legs: Leg[], opts: { samples?: number; intervalMs?: number; settleDelaysMs?: number[] } = {}) {
  const clock = new FakeClock();
  const link = new MemoryLink({ clock });
  const c = cloud(link, clock, legs);
  const ts = new TimeSync({ link, clock, log, sampleTimeoutMs: 1000, sampleGapMs: 100, random: () => 0.5, ...opts });
  return { clock, link, ts, ...c };
}

async function run<T>(clock: FakeClock, p: Promise<T>, ms = 30_000): Promise<T> {
  await clock.advance(ms);
  return p;
}

describe("TimeSync", () => {
  it("keeps the sample with the lowest round trip: asymmetric slow samples do not skew the offset", async () => {
    const { clock, link, ts, requests } = await setup([
      { up: 300, down: 20 }, // rtt 320, offset error +140
      { up: 50, down: 200 }, // rtt 250, offset error -75
      { up: 10, down: 10 }, // rtt 20, exact
      { up: 40, down: 40 },
    ], { samples: 4 });
    await link.start();
    expect(ts.offsetMs).toBeUndefined();
    expect(ts.now()).toBe(clock.now());
    const result = await run(clock, ts.sync());
    expect(requests).toHaveLength(4);
    expect(result).toMatchObject({ offsetMs: OFFSET, rttMs: 20, samples: 4 });
    expect(ts.offsetMs).toBe(OFFSET);
    expect(ts.now()).toBe(clock.now() + OFFSET);
    expect(ts.clock.now()).toBe(clock.now() + OFFSET);
  });

  it("with only asymmetric samples the error is half the asymmetry (NTP's known limit)", async () => {
    const { clock, link, ts } = await setup([{ up: 300, down: 20 }], { samples: 1 });
    await link.start();
    expect((await run(clock, ts.sync())).offsetMs).toBe(OFFSET + 140);
  });

  it("lost answers time out; the round uses what came back", async () => {
    const { clock, link, ts, requests } = await setup([{ up: 5, down: 5, lost: true }, { up: 30, down: 30 }, { up: 0, down: 0, lost: true }], { samples: 3 });
    await link.start();
    const result = await run(clock, ts.sync());
    expect(requests).toHaveLength(3);
    expect(result).toMatchObject({ offsetMs: OFFSET, rttMs: 60, samples: 1 });
  });

  it("no answer at all: rejects with time_sync_failed and keeps the previous offset", async () => {
    const legs: Leg[] = [{ up: 10, down: 10 }];
    const { clock, link, ts } = await setup(legs, { samples: 2 });
    await link.start();
    await run(clock, ts.sync());
    legs[0] = { up: 0, down: 0, lost: true };
    const p = ts.sync();
    const check = expect(p).rejects.toBeInstanceOf(TimeSyncError);
    await clock.advance(30_000);
    await check;
    await expect(p).rejects.toMatchObject({ code: "time_sync_failed" });
    expect(ts.offsetMs).toBe(OFFSET);
  });

  it("an answer whose t0 matches no request (late, or forged) is ignored", async () => {
    const { clock, link, ts } = await setup([{ up: 0, down: 0, lost: true }], { samples: 1 });
    await link.start();
    const p = ts.sync();
    link.deliver("timeRes", { t0: clock.now() - 5_000, t1: 1, t2: 1 });
    const check = expect(p).rejects.toBeInstanceOf(TimeSyncError);
    await clock.advance(5_000);
    await check;
  });

  it("concurrent sync() calls share one round", async () => {
    const { clock, link, ts, requests } = await setup([{ up: 10, down: 10 }], { samples: 3 });
    await link.start();
    const a = ts.sync();
    const b = ts.sync();
    expect(a).toBe(b);
    await run(clock, a);
    expect(requests).toHaveLength(3);
  });

  it("offline: fails fast without waiting for timeouts", async () => {
    const { clock, ts } = await setup([{ up: 10, down: 10 }]);
    const p = ts.sync();
    const check = expect(p).rejects.toBeInstanceOf(TimeSyncError);
    await clock.advance(0);
    await check;
  });

  it("start(): syncs at once when online, again every intervalMs, and on reconnect when stale", async () => {
    const { clock, link, ts, requests } = await setup([{ up: 10, down: 10 }], { samples: 2, intervalMs: 60_000, settleDelaysMs: [] });
    await link.start();
    ts.start();
    await clock.advance(5_000);
    expect(requests).toHaveLength(2);
    expect(ts.offsetMs).toBe(OFFSET);
    await clock.advance(60_000);
    expect(requests).toHaveLength(4);
    link.disconnect();
    await clock.advance(60_000); // the periodic round is skipped while offline
    expect(requests).toHaveLength(4);
    link.reconnect(); // last sync is 60 s old = stale
    await clock.advance(5_000);
    expect(requests).toHaveLength(6);
    link.disconnect();
    link.reconnect(); // fresh: no extra round
    await clock.advance(5_000);
    expect(requests).toHaveLength(6);
    ts.stop();
    await clock.advance(600_000);
    expect(requests).toHaveLength(6);
  });

  it("a connect-rush round is replaced by the tighter rounds that follow at 5, 20 and 60 s", async () => {
    // First round (at connect): every sample slow and lopsided, offset error +100. Later rounds: quiet.
    const legs: Leg[] = [{ up: 250, down: 50 }];
    const { clock, link, ts, requests } = await setup(legs, { samples: 2, intervalMs: 600_000, settleDelaysMs: [5_000, 20_000, 60_000] });
    const offsets: number[] = [];
    await link.start();
    ts.start();
    const start = clock.now();
    await clock.advance(1_000);
    expect(ts.last).toMatchObject({ offsetMs: OFFSET + 100, rttMs: 300 });
    legs[0] = { up: 2, down: 2 };
    for (const t of [5_000, 20_000, 60_000]) {
      await clock.advance(start + t + 1_000 - clock.now());
      offsets.push(ts.offsetMs ?? Number.NaN);
    }
    expect(requests).toHaveLength(8); // 4 rounds of 2
    expect(offsets).toEqual([OFFSET, OFFSET, OFFSET]);
    expect(ts.last).toMatchObject({ rttMs: 4, fresh: true });
    await clock.advance(500_000);
    expect(requests).toHaveLength(8); // then only every intervalMs
  });

  it("the settle rounds are spread ±25 % at random, and start over on a reconnect", async () => {
    let r = 0;
    const clock = new FakeClock();
    const link = new MemoryLink({ clock });
    const { requests } = cloud(link, clock, [{ up: 1, down: 1 }]);
    const ts = new TimeSync({ link, clock, log, samples: 1, settleDelaysMs: [10_000], random: () => [0, 0.999][r++ % 2] ?? 0 });
    await link.start();
    ts.start();
    const start = clock.now();
    const at = (): number[] => requests.map((t) => t - start);
    await clock.advance(7_499);
    expect(at()).toEqual([0]);
    expect(clock.now() - start).toBe(7_499);
    await clock.advance(1);
    expect(at()).toEqual([0, 7_500]); // 10 s × 0.75
    link.disconnect();
    link.reconnect(); // fresh: no round at once, but the settle round again, now at 10 s × 1.2495
    await clock.advance(12_494);
    expect(at()).toEqual([0, 7_500]);
    await clock.advance(1);
    expect(at()).toEqual([0, 7_500, 19_995]);
    ts.stop();
  });

  it("a looser round does not replace a tighter offset; sync() says so (fresh: false)", async () => {
    const legs: Leg[] = [{ up: 5, down: 5 }];
    const { clock, link, ts } = await setup(legs, { samples: 1 });
    await link.start();
    await run(clock, ts.sync(), 1_000);
    legs[0] = { up: 200, down: 20 }; // rtt 220, error +90
    const r = await run(clock, ts.sync(), 1_000);
    expect(r).toMatchObject({ offsetMs: OFFSET, rttMs: 10, fresh: false });
    expect(ts.offsetMs).toBe(OFFSET);
    // The operator's sync_time forces the new round in.
    expect(await run(clock, ts.sync({ force: true }), 1_000)).toMatchObject({ offsetMs: OFFSET + 90, rttMs: 220, fresh: true });
    expect(ts.offsetMs).toBe(OFFSET + 90);
  });

  it("a forced sync that joins a round already running forces that round", async () => {
    const legs: Leg[] = [{ up: 5, down: 5 }];
    const { clock, link, ts } = await setup(legs, { samples: 1 });
    await link.start();
    await run(clock, ts.sync(), 1_000);
    legs[0] = { up: 200, down: 20 };
    const background = ts.sync();
    const forced = ts.sync({ force: true });
    expect(forced).toBe(background);
    expect(await run(clock, forced, 1_000)).toMatchObject({ offsetMs: OFFSET + 90, fresh: true });
  });

  it("an old offset ages by the drift allowance: after an hour a looser round replaces it", async () => {
    const legs: Leg[] = [{ up: 5, down: 5 }];
    const { clock, link, ts } = await setup(legs, { samples: 1, settleDelaysMs: [] });
    await link.start();
    await run(clock, ts.sync(), 1_000);
    await clock.advance(3_600_000); // 100 ppm × 1 h = 360 ms of possible drift
    legs[0] = { up: 150, down: 50 }; // rtt 200 (bound 100), error +50
    expect(await run(clock, ts.sync(), 1_000)).toMatchObject({ offsetMs: OFFSET + 50, fresh: true });
  });

  it("a device clock stepped by seconds is followed at once, however slow the round", async () => {
    const legs: Leg[] = [{ up: 5, down: 5 }];
    const { clock, link, ts } = await setup(legs, { samples: 1 });
    await link.start();
    await run(clock, ts.sync(), 1_000);
    legs[0] = { up: 100, down: 100, offset: OFFSET - 3_600_000 }; // the device clock jumped an hour ahead
    expect(await run(clock, ts.sync(), 1_000)).toMatchObject({ offsetMs: OFFSET - 3_600_000, rttMs: 200, fresh: true });
  });

  it("the synced clock's timers are plain durations on the device clock", async () => {
    const { clock, link, ts } = await setup([{ up: 10, down: 10 }], { samples: 1 });
    await link.start();
    await run(clock, ts.sync());
    const fired: number[] = [];
    ts.clock.setTimeout(() => fired.push(ts.clock.now()), 1_000);
    const start = ts.clock.now();
    await clock.advance(1_000);
    expect(fired).toEqual([start + 1_000]);
  });
});
