/**
 * Test rig: a ModbusMaster over a StreamTransport to a ScriptedSlave through an in-memory cable, on a
 * FakeClock. Bytes travel on real event-loop turns (setImmediate) while time only moves when the test says,
 * so `run(ms)` advances the clock in small steps and lets the bytes flow between them.
 */
import { FakeClock } from "@loa/shared";
import { pino } from "pino";
import type { Duplex } from "node:stream";
import { duplexPair } from "./duplex-pair.fixture.js";
import { ModbusMaster, type ModbusMasterOptions } from "./modbus-master.js";
import { ScriptedSlave } from "./scripted-slave.fixture.js";
import { StreamTransport } from "./stream-transport.js";

export const silentLog = pino({ level: "silent" });

/** Let queued stream deliveries and promise chains run (no clock time passes). */
export async function flush(turns = 12): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export interface Rig {
  clock: FakeClock;
  slave: ScriptedSlave;
  transport: StreamTransport;
  master: ModbusMaster;
  /** The slave's end of the current cable. */
  slaveEnd: () => Duplex | undefined;
  /** While false, (re)opening the line fails, as with an unplugged adapter. */
  plugged: { value: boolean };
  /** Advance fake time by `ms` in steps of `stepMs`, letting bytes flow after each step. */
  run: (ms: number, stepMs?: number) => Promise<void>;
}

/** loa-amp-v1's register map with an amplifier that is off, muted, at volume 0. */
export function loaAmpSlave(clock: FakeClock): ScriptedSlave {
  const slave = new ScriptedSlave(clock);
  [0, 0, 1, 0, 15].forEach((v, a) => slave.holding.set(a, v));
  slave.limits.set(0, [0, 1]).set(1, [0, 100]).set(2, [0, 1]).set(3, [0, 2]).set(4, [0, 15]);
  // status 0, 21.5 °C, 24.0 V, 0 mA, firmware 1.2
  [0, 215, 240, 0, 0x0102].forEach((v, i) => slave.input.set(16 + i, v));
  return slave;
}

export async function makeRig(options: Partial<ModbusMasterOptions> = {}, slaveOf = loaAmpSlave): Promise<Rig> {
  const clock = new FakeClock();
  const slave = slaveOf(clock);
  const plugged = { value: true };
  let end: Duplex | undefined;
  const transport = new StreamTransport({
    clock,
    log: silentLog,
    name: "test-cable",
    backoff: { initialMs: 100, maxMs: 400 },
    connect: () => {
      if (!plugged.value) throw new Error("no such device");
      const [a, b] = duplexPair();
      end = b;
      slave.attach(b);
      return a;
    },
  });
  await transport.open();
  const master = new ModbusMaster({ transport, clock, log: silentLog, options });
  const run = async (ms: number, stepMs = 5): Promise<void> => {
    await flush();
    for (let t = 0; t < ms; t += stepMs) {
      await clock.advance(Math.min(stepMs, ms - t));
      await flush();
    }
  };
  return { clock, slave, transport, master, slaveEnd: () => end, plugged, run };
}
