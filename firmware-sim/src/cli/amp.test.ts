// `loa-sim amp` (ARCHITECTURE §9): options, and the whole simulator on a socat PTY with both control
// interfaces, driven by an independent master (modbus-serial).
import ModbusSerial from "modbus-serial";
import type { ModbusRTU as ModbusRTUClass } from "modbus-serial/ModbusRTU.js";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTool } from "../../../test/support/tools.js";
import { startPtyPair, type PtyPair } from "../testing/pty.js";
import { parseAmpArgs, run, startAmpSim, type RunningAmpSim } from "./amp.js";
import { dispatch } from "./dispatch.js";

const ModbusRTU = ModbusSerial as unknown as typeof ModbusRTUClass;

function io() {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const text = (s: PassThrough): string => String(s.read() ?? "");
  return { stdin, stdout, stderr, out: () => text(stdout), err: () => text(stderr) };
}

describe("loa-sim options", () => {
  it("takes the documented options with profile defaults", () => {
    expect(parseAmpArgs(["--port", "/dev/ttyUSB0"])).toEqual({
      port: "/dev/ttyUSB0",
      profile: "loa-amp-v1",
      unit: undefined,
      baud: undefined,
      parity: undefined,
      controlPort: undefined,
      stdin: true,
      trace: undefined,
      warmupMs: undefined,
      firmware: { major: 1, minor: 0 },
      logLevel: "info",
    });
    const all = ["--port", "p", "--profile", "relay-board-v1", "--unit", "7", "--baud", "19200", "--parity", "even"];
    expect(parseAmpArgs([...all, "--control-port", "0", "--no-stdin", "--trace", "-", "--warmup", "10", "--firmware", "2.3"])).toMatchObject({
      profile: "relay-board-v1",
      unit: 7,
      baud: 19200,
      parity: "even",
      controlPort: 0,
      stdin: false,
      trace: "-",
      warmupMs: 10,
      firmware: { major: 2, minor: 3 },
    });
  });

  it.each([
    [[], /--port PATH is required/],
    [["--port", "p", "--unit", "0"], /--unit must be an integer from 1 to 247/],
    [["--port", "p", "--parity", "mark"], /--parity/],
    [["--port", "p", "--firmware", "1"], /--firmware/],
    [["--port", "p", "--log-level", "loud"], /--log-level/],
    [["--port", "p", "--colour"], /Unknown option '--colour'/],
  ])("refuses %j with usage and exit code 2", async (argv, message) => {
    const t = io();
    expect(await run(argv, t)).toBe(2);
    const err = t.err();
    expect(err).toMatch(message);
    expect(err).toContain("usage: loa-sim amp --port PATH");
  });

  it("prints help, and dispatch lists the subcommands and refuses unknown ones", async () => {
    const t = io();
    expect(await run(["--help"], t)).toBe(0);
    expect(t.out()).toContain("fault NAME on|off");
    expect(await dispatch(["--help"], t)).toBe(0);
    expect(t.out()).toMatch(/commands:\n {2}amp {5}amplifier firmware simulator/);
    expect(await dispatch(["fly"], t)).toBe(2);
    expect(t.err()).toContain('unknown command "fly"');
  });

  it("fails with exit code 1 when the port cannot be opened or the profile is unknown", async () => {
    const t = io();
    expect(await run(["--port", "/nonexistent/tty", "--no-stdin", "--log-level", "silent"], t)).toBe(1);
    expect(t.err()).toMatch(/cannot open serial line \/nonexistent\/tty/);
    expect(await run(["--port", "/nonexistent/tty", "--profile", "acme-9000", "--log-level", "silent"], t)).toBe(1);
    expect(t.err()).toMatch(/no bundled amplifier profile "acme-9000"/);
  });
});

describe.skipIf(!requireTool("socat"))("loa-sim amp on a socat PTY pair", () => {
  let dir: string;
  let pty: PtyPair | undefined;
  let sim: RunningAmpSim | undefined;
  const t = io();
  const client = new ModbusRTU();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "loa-sim-cli-"));
    pty = await startPtyPair(dir);
    const opts = parseAmpArgs(["--port", pty.a, "--unit", "5", "--control-port", "0", "--trace", join(dir, "trace.jsonl"), "--warmup", "100"]);
    if (opts === "help") throw new Error("unexpected help");
    sim = await startAmpSim(opts, t, pino({ level: "silent" }));
    await client.connectRTUBuffered(pty.b, { baudRate: 9600 });
    client.setID(5);
    client.setTimeout(1000);
  });

  afterAll(async () => {
    if (client.isOpen) await new Promise<void>((resolve) => client.close(() => resolve()));
    await sim?.close();
    await pty?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers as unit 5 and takes faults over HTTP and stdin", async () => {
    expect(sim?.controlPort).toBeGreaterThan(0);
    await client.writeRegister(0, 1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await client.readInputRegisters(16, 1)).data).toEqual([1]);
    const res = await fetch(`http://127.0.0.1:${sim?.controlPort}/fault`, { method: "POST", body: JSON.stringify({ name: "fan_fault", on: true }) });
    expect(res.status).toBe(200);
    expect((await client.readInputRegisters(16, 1)).data).toEqual([1 | (1 << 6)]);
    t.stdin.write("fault fan_fault off\nfault mains_lost on\n");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(t.out()).toContain("ok faults=[mains_lost]");
    expect((await client.readInputRegisters(16, 3)).data).toEqual([1 | (1 << 5), expect.any(Number) as number, 228]);
  });

  it("logs the register trace as JSON Lines", async () => {
    const lines = (await readFile(join(dir, "trace.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as unknown);
    expect(lines[0]).toMatchObject({ dir: "request", unitId: 5, fc: 6, address: 0, values: [1] });
    expect(lines[1]).toMatchObject({ dir: "reply", unitId: 5, fc: 6, address: 0, values: [1] });
    expect(lines.length).toBeGreaterThanOrEqual(8);
  });

  it("stops on quit", async () => {
    let quit = false;
    void sim?.quit.then(() => (quit = true));
    t.stdin.write("quit\n");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(quit).toBe(true);
  });
});
