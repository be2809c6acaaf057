// Interoperability over a real serial line (ARCHITECTURE §5): the simulator on one end of a socat PTY pair,
// independent masters (the modbus-serial library, the mbpoll tool) on the other.
import { SystemClock, getProfile } from "@loa/shared";
import ModbusSerial from "modbus-serial";
import type { ModbusRTU as ModbusRTUClass } from "modbus-serial/ModbusRTU.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SerialPort } from "serialport";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTool } from "../../../test/support/tools.js";
import { AmpEngine } from "../core/amp-engine.js";
import { mbpoll, startPtyPair, type PtyPair } from "../testing/pty.js";
import { ModbusSlave } from "./modbus-slave.js";
import { closeSerialLine, openSerialLine } from "./serial-line.js";

// modbus-serial is CommonJS (module.exports = ModbusRTU) but its typings declare an ES default export.
const ModbusRTU = ModbusSerial as unknown as typeof ModbusRTUClass;
const WARMUP_MS = 200;
const hasSocat = requireTool("socat");
const hasMbpoll = hasSocat && requireTool("mbpoll");

describe.skipIf(!hasSocat)("simulator on a socat PTY pair", () => {
  let dir: string;
  let pty: PtyPair | undefined;
  let line: SerialPort | undefined;
  let slave: ModbusSlave | undefined;
  let engine: AmpEngine;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "loa-sim-pty-"));
    pty = await startPtyPair(dir);
    const clock = new SystemClock();
    engine = new AmpEngine({ profile: { ...getProfile("loa-amp-v1"), warmupMs: WARMUP_MS }, clock, firmwareVersion: { major: 1, minor: 2 } });
    line = await openSerialLine({ path: pty.a, baudRate: 9600 });
    slave = new ModbusSlave({ engine, stream: line, clock });
  });

  afterAll(async () => {
    slave?.close();
    if (line) await closeSerialLine(line);
    await pty?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  describe("modbus-serial master", () => {
    const client = new ModbusRTU();

    beforeAll(async () => {
      await client.connectRTUBuffered(pty?.b ?? "", { baudRate: 9600 });
      client.setID(1);
      client.setTimeout(1000);
    });

    afterAll(async () => {
      await new Promise<void>((resolve) => client.close(() => resolve()));
    });

    it("reads input registers 16-20 and holding registers 0-4", async () => {
      expect((await client.readInputRegisters(16, 5)).data).toEqual([0, 300, 240, 0, 258]);
      expect((await client.readHoldingRegisters(0, 5)).data).toEqual([0, 0, 0, 0, 15]);
    });

    it("writes power and volume, and sees the amplifier warm up and play", async () => {
      await client.writeRegister(2, 1);
      await client.writeRegister(0, 1);
      await client.writeRegisters(1, [35, 0]);
      expect((await client.readHoldingRegisters(0, 3)).data).toEqual([1, 35, 0]);
      engine.setSignal(true);
      await new Promise((resolve) => setTimeout(resolve, WARMUP_MS + 50));
      const [status, , , current] = (await client.readInputRegisters(16, 4)).data;
      expect(status).toBe(0b11);
      expect(current).toBe(150 + 3000 * 0.35);
    });

    it("gets exception 02 for an unknown address and 03 for an illegal value", async () => {
      await expect(client.readHoldingRegisters(5, 1)).rejects.toMatchObject({ modbusCode: 2 });
      await expect(client.readInputRegisters(16, 6)).rejects.toMatchObject({ modbusCode: 2 });
      await expect(client.writeRegister(1, 101)).rejects.toMatchObject({ modbusCode: 3 });
      await expect(client.writeRegister(0, 7)).rejects.toMatchObject({ modbusCode: 3 });
    });

    it("sees a fault bit, then times out under no_response and recovers once it clears", async () => {
      engine.setFault("speaker_line_open", true);
      expect((await client.readInputRegisters(16, 1)).data[0]).toBe(0b10011);
      engine.setFault("speaker_line_open", false);
      client.setTimeout(300);
      engine.setFault("no_response", true);
      await expect(client.readInputRegisters(16, 1)).rejects.toMatchObject({ name: "TransactionTimedOutError" });
      engine.setFault("no_response", false);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await client.readInputRegisters(16, 1)).data[0]).toBe(0b11);
      client.setTimeout(1000);
    });
  });

  describe.skipIf(!hasMbpoll)("mbpoll master", () => {
    it("reads the input registers (1-based references 17-21 are addresses 16-20)", async () => {
      const r = await mbpoll(pty?.b ?? "", ["-a", "1", "-t", "3", "-r", "17", "-c", "5"]);
      expect(r.code, r.output).toBe(0);
      expect([...r.values.keys()]).toEqual([17, 18, 19, 20, 21]);
      expect(r.values.get(17)).toBe(0b11);
      // Warming slowly from 30 °C toward 48.75 °C (volume 35, signal on): a few tenths above ambient by now.
      expect(r.values.get(18)).toBeGreaterThanOrEqual(300);
      expect(r.values.get(18)).toBeLessThan(320);
      expect(r.values.get(19)).toBe(236);
      expect(r.values.get(20)).toBe(150 + 1050);
      expect(r.values.get(21)).toBe(258);
    });

    it("writes a holding register with 0-based addressing and reads it back", async () => {
      const w = await mbpoll(pty?.b ?? "", ["-a", "1", "-t", "4", "-0", "-r", "1"], [60]);
      expect(w.code, w.output).toBe(0);
      const r = await mbpoll(pty?.b ?? "", ["-a", "1", "-t", "4", "-0", "-r", "0", "-c", "5"]);
      expect([...r.values.entries()]).toEqual([[0, 1], [1, 60], [2, 0], [3, 0], [4, 15]]);
    });

    it("reports the simulator's exceptions 02 and 03", async () => {
      const address = await mbpoll(pty?.b ?? "", ["-a", "1", "-t", "3", "-0", "-r", "21"]);
      expect(address.code).not.toBe(0);
      expect(address.output).toMatch(/Illegal data address/i);
      const value = await mbpoll(pty?.b ?? "", ["-a", "1", "-t", "4", "-0", "-r", "1"], [101]);
      expect(value.code).not.toBe(0);
      expect(value.output).toMatch(/Illegal data value/i);
    });

    it("gets nothing from another unit id", async () => {
      const r = await mbpoll(pty?.b ?? "", ["-a", "2", "-t", "4", "-0", "-r", "0"]);
      expect(r.code).not.toBe(0);
      expect(r.values.size).toBe(0);
      expect(engine.trace().at(-1)).toMatchObject({ dir: "request", unitId: 2, note: "other_unit" });
    });
  });
});

describe.skipIf(!hasSocat)("relay-board-v1 simulator on a socat PTY pair", () => {
  let dir: string;
  let pty: PtyPair | undefined;
  let line: SerialPort | undefined;
  let slave: ModbusSlave | undefined;
  const client = new ModbusRTU();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "loa-sim-relay-"));
    pty = await startPtyPair(dir);
    const clock = new SystemClock();
    const engine = new AmpEngine({ profile: getProfile("relay-board-v1"), clock });
    line = await openSerialLine({ path: pty.a, baudRate: 9600 });
    slave = new ModbusSlave({ engine, stream: line, clock });
    await client.connectRTUBuffered(pty.b, { baudRate: 9600 });
    client.setID(1);
    client.setTimeout(1000);
  });

  afterAll(async () => {
    if (client.isOpen) await new Promise<void>((resolve) => client.close(() => resolve()));
    slave?.close();
    if (line) await closeSerialLine(line);
    await pty?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("switches relay 1 with function 05 and reads it back with 01; has no registers", async () => {
    expect((await client.readCoils(0, 1)).data[0]).toBe(false);
    await client.writeCoil(0, true);
    expect((await client.readCoils(0, 1)).data[0]).toBe(true);
    await expect(client.writeCoil(1, true)).rejects.toMatchObject({ modbusCode: 2 });
    await expect(client.readHoldingRegisters(0, 1)).rejects.toMatchObject({ modbusCode: 2 });
  });
});
