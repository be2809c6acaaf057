// The simulated amplifier's readings move like a real one's (ARCHITECTURE §5): temperature, current, supply,
// and every injected fault sets and clears its status bit.
import { FakeClock, getProfile, type ModbusReply } from "@loa/shared";
import { describe, expect, it } from "vitest";
import { AmpEngine } from "./amp-engine.js";
import { AMP_FAULT_NAMES, type AmpFaultName } from "./faults.js";

const TAU = 120_000;

function setup() {
  const clock = new FakeClock();
  const engine = new AmpEngine({ profile: getProfile("loa-amp-v1"), clock });
  const write = (address: number, value: number): void => {
    const reply = engine.handle({ kind: "writeSingle", unitId: 1, address, value });
    if (reply?.kind !== "writeSingle") throw new Error(`write ${address}=${value} refused`);
  };
  const input = (address: number): number => {
    const reply: ModbusReply | undefined = engine.handle({ kind: "readInput", unitId: 1, address, quantity: 1 });
    if (reply?.kind !== "readInput") throw new Error(`read ${address} refused`);
    return reply.values[0] ?? -1;
  };
  /** Power on at full volume with a signal, warmed up. */
  const play = async (volume = 100): Promise<void> => {
    write(0, 1);
    write(1, volume);
    engine.setSignal(true);
    await clock.advance(1500);
  };
  return { clock, engine, write, input, play, status: () => input(16), tempRaw: () => input(17) };
}

describe("temperature (first-order model, 0.1 °C)", () => {
  it("stays at ambient while off", async () => {
    const { clock, tempRaw } = setup();
    await clock.advance(10 * TAU);
    expect(tempRaw()).toBe(300);
  });

  it("rises toward ambient+10 °C when powered and silent: 63 % of the way after one time constant", async () => {
    const { clock, write, tempRaw, engine } = setup();
    write(0, 1);
    await clock.advance(TAU);
    expect(engine.state().temperatureC).toBeCloseTo(36.32, 2);
    expect(tempRaw()).toBe(363);
    await clock.advance(20 * TAU);
    expect(tempRaw()).toBe(400);
  });

  it("rises more while playing, counting the load only after warm-up", async () => {
    const { clock, play, engine, tempRaw } = setup();
    await play();
    expect(engine.state().temperatureC).toBeCloseTo(30.12, 2);
    await clock.advance(TAU);
    expect(engine.state().temperatureC).toBeCloseTo(52.17, 2);
    await clock.advance(20 * TAU);
    expect(tempRaw()).toBe(650);
  });

  it("heats less at lower volume and not at all from a muted or silent input", async () => {
    const { clock, play, write, engine, tempRaw } = setup();
    await play(40);
    await clock.advance(20 * TAU);
    expect(tempRaw()).toBe(500);
    write(2, 1);
    await clock.advance(20 * TAU);
    expect(tempRaw()).toBe(400);
    write(2, 0);
    engine.setSignal(false);
    await clock.advance(20 * TAU);
    expect(tempRaw()).toBe(400);
  });

  it("falls back toward ambient after power-off", async () => {
    const { clock, play, write, engine } = setup();
    await play();
    await clock.advance(20 * TAU);
    write(0, 0);
    await clock.advance(TAU);
    expect(engine.state().temperatureC).toBeCloseTo(42.88, 1);
  });
});

describe("output current (mA) and supply voltage (0.1 V)", () => {
  it("follows power, warm-up, volume, signal, mute and speaker lines", async () => {
    const { clock, write, input, engine } = setup();
    expect(input(19)).toBe(0);
    write(0, 1);
    write(1, 50);
    engine.setSignal(true);
    expect(input(19)).toBe(150);
    await clock.advance(1500);
    expect(input(19)).toBe(1650);
    write(4, 0b0011);
    expect(input(19)).toBe(900);
    write(4, 0b1111);
    engine.setSignal(0.5);
    expect(input(19)).toBe(900);
    write(2, 1);
    expect(input(19)).toBe(150);
    write(2, 0);
    write(1, 0);
    expect(input(19)).toBe(150);
    write(0, 0);
    expect(input(19)).toBe(0);
  });

  it("reads 24.0 V on mains, sagging under load", async () => {
    const { input, play } = setup();
    expect(input(18)).toBe(240);
    await play();
    expect(input(19)).toBe(3150);
    expect(input(18)).toBe(231);
  });
});

describe("amplifier faults", () => {
  const BITS: Record<AmpFaultName, number> = {
    over_temperature: 2,
    output_short: 3,
    speaker_line_open: 4,
    mains_lost: 5,
    fan_fault: 6,
  };

  it.each(AMP_FAULT_NAMES)("%s sets its status bit and clears it", async (name) => {
    const { engine, play, status } = setup();
    await play();
    expect(status()).toBe(0b11);
    engine.setFault(name, true);
    expect(status()).toBe(0b11 | (1 << BITS[name]));
    expect(engine.state().faults).toEqual([name]);
    engine.setFault(name, false);
    expect(status()).toBe(0b11);
    expect(engine.state().faults).toEqual([]);
  });

  it("over_temperature reads at least 90 °C at once, cuts the output, and cools after clearing", async () => {
    const { clock, engine, play, input, tempRaw } = setup();
    await play();
    engine.setFault("over_temperature", true);
    expect(tempRaw()).toBe(900);
    expect(input(19)).toBe(150);
    await clock.advance(TAU);
    expect(tempRaw()).toBe(900);
    engine.setFault("over_temperature", false);
    await clock.advance(TAU);
    expect(engine.state().temperatureC).toBeCloseTo(65 + 25 * Math.exp(-1), 1);
  });

  it("output_short drops the output current to 0; speaker_line_open to the quiescent current", async () => {
    const { engine, play, input } = setup();
    await play();
    engine.setFault("output_short", true);
    expect(input(19)).toBe(0);
    engine.setFault("output_short", false);
    engine.setFault("speaker_line_open", true);
    expect(input(19)).toBe(150);
    engine.setFault("speaker_line_open", false);
    expect(input(19)).toBe(3150);
  });

  it("mains_lost runs on the battery voltage", async () => {
    const { engine, input } = setup();
    engine.setFault("mains_lost", true);
    expect(input(18)).toBe(228);
    engine.setFault("mains_lost", false);
    expect(input(18)).toBe(240);
  });

  it("fan_fault makes a silent amplifier run hotter", async () => {
    const { clock, engine, write, tempRaw } = setup();
    engine.setFault("fan_fault", true);
    write(0, 1);
    await clock.advance(20 * TAU);
    expect(tempRaw()).toBe(480);
  });

  it("clearFaults clears amplifier and line faults alike", () => {
    const { engine } = setup();
    engine.setFault("mains_lost", true);
    engine.setFault("no_response", true);
    engine.setResponseDelay(100);
    engine.setNoise({ rate: 0.3, mode: "garbage" });
    expect(engine.state().faults).toEqual(["mains_lost", "no_response", "slow_response", "crc_noise"]);
    engine.clearFaults();
    expect(engine.state()).toMatchObject({ faults: [], responseDelayMs: 0, noise: { rate: 0 } });
  });
});
