import { describe, expect, it } from "vitest";
import { AmpHealth, FakeClock } from "@loa/shared";
import { pino } from "pino";
import { AmpError, type AmpStatus } from "../ports/amplifier.js";
import { AmpMonitor, toAmpHealth, type AmpMonitorEvent } from "./amp-monitor.js";

const log = pino({ level: "silent" });

const ok = (over: Partial<AmpStatus> = {}): AmpStatus => ({
  reachable: true, powered: true, ready: true, muted: false, volume: 70, signalPresent: true, temperatureC: 41.5,
  supplyVoltageV: 24.1, outputCurrentMa: 850, faults: [], firmwareVersion: "1.2", source: "line", zones: 15, ...over,
});
const down = (): AmpError => new AmpError("amp_timeout", "no reply from amplifier unit 1 to readHolding 0..4 (FC 03) within 300 ms, 3 attempts");

/** An amplifier whose status answers come from a script, one per poll (the last one repeats). */
function rig(script: (AmpStatus | Error)[], options = {}) {
  const clock = new FakeClock();
  const events: (AmpMonitorEvent & { t: number })[] = [];
  let polls = 0;
  const amp = {
    readStatus: (): Promise<AmpStatus> => {
      const next = script[Math.min(polls++, script.length - 1)];
      if (!next) throw new Error("empty script");
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
  };
  const monitor = new AmpMonitor({ amp, clock, log, emit: (e) => void events.push({ ...e, t: clock.now() - T0 }), options });
  const T0 = clock.now();
  return { clock, events, monitor, polls: () => polls };
}

const brief = (events: AmpMonitorEvent[]): string[] => events.map((e) => `${e.type}:${e.code}`);

describe("AmpMonitor [ARCHITECTURE §5]", () => {
  it("polls at once, then every 5 s by default", async () => {
    const r = rig([ok()]);
    r.monitor.start();
    await r.clock.advance(0);
    expect(r.polls()).toBe(1);
    await r.clock.advance(14_999);
    expect(r.polls()).toBe(3);
    await r.clock.advance(1);
    expect(r.polls()).toBe(4);
    r.monitor.stop();
    await r.clock.advance(60_000);
    expect(r.polls()).toBe(4);
    expect(r.events).toEqual([]);
    expect(r.monitor.status).toEqual(ok());
  });

  it("reports a fault once while it stays raised, and its recovery once", async () => {
    const hot = ok({ faults: ["over_temperature"], temperatureC: 85.2 });
    const r = rig([ok(), hot, hot, hot, ok({ faults: ["over_temperature", "fan_fault"] }), ok({ faults: ["fan_fault"] }), ok()], { intervalMs: 1_000 });
    r.monitor.start();
    await r.clock.advance(10_000);
    expect(r.events.map(({ type, code, t }) => `${t}:${type}:${code}`)).toEqual([
      "1000:amp_fault:over_temperature",
      "4000:amp_fault:fan_fault",
      "5000:amp_recovered:over_temperature",
      "6000:amp_recovered:fan_fault",
    ]);
    const first = r.events[0];
    expect(first?.type === "amp_fault" && first.detail).toBe("over temperature reported by the amplifier (temperature 85.2 °C, supply 24.1 V, output 850 mA, powered on)");
  });

  it("after 3 failed polls reports unreachable once, marks the status, and recovers when it answers", async () => {
    const r = rig([ok(), down(), down(), down(), down(), down(), ok()], { intervalMs: 1_000 });
    r.monitor.start();
    await r.clock.advance(2_000);
    expect(r.events).toEqual([]);
    expect(r.monitor.status?.reachable).toBe(true); // two misses are not yet "unreachable"
    await r.clock.advance(1_000);
    expect(brief(r.events)).toEqual(["amp_fault:unreachable"]);
    expect(r.events[0]).toMatchObject({ t: 3_000, detail: expect.stringContaining("3 status polls in a row") as unknown });
    expect(r.events[0]).toMatchObject({ detail: expect.stringContaining("(amp_timeout)") as unknown });
    expect(r.monitor.status).toMatchObject({ reachable: false, faults: ["unreachable"], volume: null });
    expect(r.monitor.health()).toEqual({ reachable: false, faults: ["unreachable"] });
    await r.clock.advance(2_000);
    expect(brief(r.events)).toEqual(["amp_fault:unreachable"]);
    await r.clock.advance(1_000);
    expect(brief(r.events)).toEqual(["amp_fault:unreachable", "amp_recovered:unreachable"]);
    expect(r.monitor.status).toEqual(ok());
  });

  it("keeps a fault raised through an outage and reports its clearing only when seen", async () => {
    const hot = ok({ faults: ["over_temperature"] });
    const r = rig([hot, down(), down(), down(), hot, ok()], { intervalMs: 1_000, unreachableAfter: 3 });
    r.monitor.start();
    await r.clock.advance(6_000);
    expect(brief(r.events)).toEqual(["amp_fault:over_temperature", "amp_fault:unreachable", "amp_recovered:unreachable", "amp_recovered:over_temperature"]);
  });

  it("honours unreachableAfter", async () => {
    const r = rig([down()], { intervalMs: 1_000, unreachableAfter: 1 });
    r.monitor.start();
    await r.clock.advance(0);
    expect(brief(r.events)).toEqual(["amp_fault:unreachable"]);
  });

  it("waits for a slow poll instead of stacking polls on it", async () => {
    const clock = new FakeClock();
    let calls = 0;
    const amp = {
      readStatus: async (): Promise<AmpStatus> => {
        calls++;
        await clock.sleep(7_000);
        return ok();
      },
    };
    const monitor = new AmpMonitor({ amp, clock, log, emit: () => undefined });
    monitor.start();
    await clock.advance(11_999);
    expect(calls).toBe(1); // the first poll took 7 s: the next starts 5 s after it ended
    await clock.advance(1);
    expect(calls).toBe(2);
    monitor.stop();
  });

  it("survives an emit that throws or rejects", async () => {
    const clock = new FakeClock();
    const monitor = new AmpMonitor({
      amp: { readStatus: () => Promise.resolve(ok({ faults: ["mains_lost"] })) },
      clock,
      log,
      emit: (e) => (e.code === "mains_lost" ? Promise.reject(new Error("outbox full")) : undefined),
    });
    await expect(monitor.poll()).resolves.toMatchObject({ faults: ["mains_lost"] });
    expect(monitor.faults).toEqual(["mains_lost"]);
  });

  it("gives telemetry a schema-valid amp block", () => {
    expect(AmpHealth.parse(toAmpHealth(ok()))).toEqual({
      reachable: true, powered: true, muted: false, volume: 70, faults: [], temperatureC: 41.5, signal: true, supplyV: 24.1, outputMa: 850, firmware: "1.2",
    });
    const relay = ok({ muted: null, volume: null, signalPresent: null, temperatureC: null, supplyVoltageV: null, outputCurrentMa: null, firmwareVersion: null });
    expect(AmpHealth.parse(toAmpHealth(relay))).toEqual({ reachable: true, powered: true, faults: [] });
    expect(toAmpHealth(undefined)).toEqual({ reachable: false, faults: [] });
  });
});
