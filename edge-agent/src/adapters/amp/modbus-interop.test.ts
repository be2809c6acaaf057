/**
 * Interoperability: the driver (SerialPortTransport + ModbusMaster + ModbusAmplifier) against an INDEPENDENT
 * Modbus RTU slave, modbus-serial's ServerSerial, over a real socat PTY pair. The slave's register vector
 * emulates loa-amp-v1 (ARCHITECTURE §5 table); nothing of Loa's codec runs on the slave side.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SystemClock, getProfile } from "@loa/shared";
import { ServerSerial } from "modbus-serial";
import { requireTool } from "../../../../test/support/tools.js";
import { AmpError } from "../../ports/amplifier.js";
import { ModbusAmplifier } from "./modbus-amplifier.js";
import { ModbusMaster } from "./modbus-master.js";
import { SerialPortTransport } from "./serialport-transport.js";
import { SocatPair } from "./socat.fixture.js";
import { silentLog } from "./test-rig.fixture.js";

/** loa-amp-v1 as plain tables: holding 0-4 (power, volume, mute, source, zones), input 16-20. */
class LoaAmpVector {
  readonly holding = [0, 0, 0, 0, 15];
  readonly limits: [number, number][] = [[0, 1], [0, 100], [0, 1], [0, 2], [0, 15]];
  // powered + signal present, 36.6 °C, 24.2 V, 120 mA, firmware 2.5
  readonly input = new Map<number, number>([[16, 0b11], [17, 366], [18, 242], [19, 120], [20, 0x0205]]);
  readonly writes: string[] = [];

  getHoldingRegister = (addr: number): number => {
    const v = this.holding[addr];
    if (v === undefined) throw { modbusErrorCode: 2, msg: "illegal data address" };
    return v;
  };

  getInputRegister = (addr: number): number => {
    const v = this.input.get(addr);
    if (v === undefined) throw { modbusErrorCode: 2, msg: "illegal data address" };
    return v;
  };

  setRegister = (addr: number, value: number): void => {
    const range = this.limits[addr];
    if (!range) throw { modbusErrorCode: 2, msg: "illegal data address" };
    if (value < range[0] || value > range[1]) throw { modbusErrorCode: 3, msg: "illegal data value" };
    this.holding[addr] = value;
    this.writes.push(`${addr}=${value}`);
  };
}

describe.skipIf(!requireTool("socat"))("driver ⇄ modbus-serial ServerSerial over a socat PTY pair", () => {
  const clock = new SystemClock();
  const vector = new LoaAmpVector();
  let pty: SocatPair | undefined;
  let server: ServerSerial | undefined;
  let transport: SerialPortTransport | undefined;
  let master: ModbusMaster | undefined;
  let amp: ModbusAmplifier | undefined;

  beforeAll(async () => {
    pty = await SocatPair.create();
    const b = pty.b;
    server = await new Promise<ServerSerial>((resolve, reject) => {
      const s: ServerSerial = new ServerSerial(vector, {
        path: b,
        baudRate: 9600,
        unitID: 1,
        interval: 10,
        openCallback: (err) => (err ? reject(err) : resolve(s)),
      } as ConstructorParameters<typeof ServerSerial>[1]);
    });
    transport = new SerialPortTransport({ path: pty.a, clock, log: silentLog });
    master = new ModbusMaster({ transport, clock, log: silentLog, options: { timeoutMs: 500 } });
    await transport.open();
    amp = new ModbusAmplifier({ client: master, profile: getProfile("loa-amp-v1"), clock, log: silentLog, transport, options: { rampIntervalMs: 20 } });
  });

  afterAll(async () => {
    master?.dispose();
    await transport?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await pty?.destroy();
  });

  const ready = (): { amp: ModbusAmplifier; master: ModbusMaster } => {
    if (!amp || !master) throw new Error("set-up failed");
    return { amp, master };
  };

  it("mutes on connect, then powers on muted (mute written before power)", async () => {
    const { amp } = ready();
    await amp.powerOn();
    expect(vector.writes).toEqual(["2=1", "2=1", "0=1"]);
    expect(vector.holding.slice(0, 3)).toEqual([1, 0, 1]);
  });

  it("ramps the volume in 5 % steps once unmuted (muted: one write)", async () => {
    const { amp } = ready();
    vector.writes.length = 0;
    await amp.setVolume(10);
    expect(vector.writes).toEqual(["1=10"]);
    await amp.unmute();
    vector.writes.length = 0;
    await amp.setVolume(40);
    expect(vector.writes).toEqual([15, 20, 25, 30, 35, 40].map((v) => `1=${v}`));
    await amp.selectSource("aux");
    await amp.setZones(0b0110);
    expect(vector.holding).toEqual([1, 40, 0, 2, 6]);
  });

  it("reads a status that matches the slave's registers", async () => {
    const { amp } = ready();
    vector.input.set(16, 0b10011); // powered, signal, speaker line open
    const status = await amp.readStatus();
    expect(status).toMatchObject({
      reachable: true, powered: true, muted: false, volume: 40, signalPresent: true, temperatureC: 36.6, supplyVoltageV: 24.2,
      outputCurrentMa: 120, faults: ["speaker_line_open"], firmwareVersion: "2.5", source: "aux", zones: 6,
    });
  });

  it("surfaces the slave's exceptions 01, 02 and 03 as typed errors", async () => {
    const { master } = ready();
    const e1 = await master.request({ kind: "unknown", unitId: 1, functionCode: 0x41, data: Buffer.from([0, 0, 0, 0]) }).catch((e: unknown) => e);
    expect(e1).toMatchObject({ code: "amp_exception", exceptionCode: 1 });
    expect((e1 as Error).message).toContain("exception 01 (illegal function)");
    const e2 = await master.request({ kind: "readInput", unitId: 1, address: 30, quantity: 1 }).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(AmpError);
    expect(e2).toMatchObject({ code: "amp_exception", exceptionCode: 2 });
    const e3 = await master.request({ kind: "writeSingle", unitId: 1, address: 1, value: 150 }).catch((e: unknown) => e);
    expect(e3).toMatchObject({ code: "amp_exception", exceptionCode: 3 });
    expect((e3 as Error).message).toContain("illegal data value");
    expect(vector.holding[1]).toBe(40);
  });

  it("powers off: ramp down, mute, power off", async () => {
    const { amp } = ready();
    vector.writes.length = 0;
    await amp.powerOff();
    expect(vector.writes).toEqual([...[35, 30, 25, 20, 15, 10, 5, 0].map((v) => `1=${v}`), "2=1", "0=0"]);
  });
});
