import { describe, expect, it } from "vitest";
import pino from "pino";
import { FakeClock, LoaError, exampleCommands, parsePayload, type CmdPayload, type CmdResPayload } from "@loa/shared";
import { MemoryLink } from "../testing/memory-link.js";
import { CommandHandler, REBOOT_EXIT_CODE, type CommandTargets } from "./commands.js";
import { SyncedClock } from "./time-sync.js";

const log = pino({ level: "silent" });
/** Every example command expires at 06:05; the clock starts at 06:00. */
const T0 = Date.UTC(2026, 0, 1, 6, 0, 0);

type Calls = { method: keyof CommandTargets; args: unknown; cmdId: string }[];

function targets(calls: Calls, over: Partial<CommandTargets> = {}): CommandTargets {
  const rec =
    (method: keyof CommandTargets, result?: Record<string, unknown>) =>
    (args: unknown, cmdId: string): Promise<Record<string, unknown> | void> => {
      calls.push({ method, args, cmdId });
      return Promise.resolve(result);
    };
  return {
    playNow: rec("playNow", { started: true }),
    stop: rec("stop"),
    setVolume: rec("setVolume", { volume: 70 }),
    ampPower: rec("ampPower", { on: true }),
    testTone: rec("testTone"),
    syncTime: rec("syncTime", { offsetMs: -3, rttMs: 40 }),
    ...over,
  };
}

async function setup(over: Partial<CommandTargets> = {}, extra: { clockReady?: () => Promise<unknown> } = {}) {
  const clock = new FakeClock(T0);
  const link = new MemoryLink({ clock });
  const calls: Calls = [];
  const exits: number[] = [];
  const handler = new CommandHandler({
    link,
    clock,
    log,
    targets: targets(calls, over),
    exit: (code) => {
      exits.push(code);
    },
    handlerTimeoutMs: 5_000,
    ...extra,
  });
  handler.start();
  await link.start();
  const answers = (): CmdResPayload[] => link.sentOf("cmdRes");
  return { clock, link, calls, exits, handler, answers };
}

describe("CommandHandler", () => {
  it("dispatches each type to its target with its args and cmdId, answering each on cmd/res", async () => {
    const { link, calls, answers, clock } = await setup();
    const types = ["play_now", "stop", "set_volume", "amp_power", "test_tone", "sync_time"] as const;
    for (const t of types) link.deliver("cmd", exampleCommands[t]);
    await clock.advance(0);
    expect(calls.map((c) => [c.method, c.args, c.cmdId])).toEqual([
      ["playNow", exampleCommands.play_now.args, exampleCommands.play_now.cmdId],
      ["stop", {}, exampleCommands.stop.cmdId],
      ["setVolume", { volume: 70 }, exampleCommands.set_volume.cmdId],
      ["ampPower", { on: true }, exampleCommands.amp_power.cmdId],
      ["testTone", exampleCommands.test_tone.args, exampleCommands.test_tone.cmdId],
      ["syncTime", {}, exampleCommands.sync_time.cmdId],
    ]);
    expect(answers()).toEqual([
      { cmdId: exampleCommands.play_now.cmdId, ok: true, result: { started: true } },
      { cmdId: exampleCommands.stop.cmdId, ok: true },
      { cmdId: exampleCommands.set_volume.cmdId, ok: true, result: { volume: 70 } },
      { cmdId: exampleCommands.amp_power.cmdId, ok: true, result: { on: true } },
      { cmdId: exampleCommands.test_tone.cmdId, ok: true },
      { cmdId: exampleCommands.sync_time.cmdId, ok: true, result: { offsetMs: -3, rttMs: 40 } },
    ]);
    for (const m of link.sent.filter((s) => s.kind === "cmdRes")) {
      expect(parsePayload("cmdRes", m.bytes).ok).toBe(true);
      expect(m.qos).toBe(1);
    }
  });

  it("refuses an expired command without running it", async () => {
    const { link, calls, answers, clock } = await setup();
    await clock.advance(5 * 60_000); // exactly 06:05 = expiresAt
    link.deliver("cmd", exampleCommands.set_volume);
    await clock.advance(0);
    expect(calls).toHaveLength(0);
    expect(answers()).toEqual([
      {
        cmdId: exampleCommands.set_volume.cmdId,
        ok: false,
        error: { code: "expired", message: "command expired at 2026-01-01T06:05:00.000Z (device time 2026-01-01T06:05:00.000Z)" },
      },
    ]);
  });

  it("a duplicate cmdId (QoS 1 redelivery) runs once and is answered again with the same result", async () => {
    const { link, calls, answers, clock } = await setup();
    link.deliver("cmd", exampleCommands.set_volume);
    link.deliver("cmd", exampleCommands.set_volume); // while the first is still running
    await clock.advance(0);
    link.deliver("cmd", exampleCommands.set_volume); // after it finished
    await clock.advance(0);
    expect(calls).toHaveLength(1);
    expect(answers()).toHaveLength(3);
    expect(new Set(answers().map((a) => JSON.stringify(a))).size).toBe(1);
  });

  it("remembers a bounded number of recent cmdIds", async () => {
    const clock = new FakeClock(T0);
    const link = new MemoryLink({ clock });
    const calls: Calls = [];
    const h = new CommandHandler({ link, clock, log, targets: targets(calls), exit: () => undefined, recentMax: 2 });
    await link.start();
    const cmd = (id: string): CmdPayload => ({ ...exampleCommands.stop, cmdId: id });
    for (const id of ["a", "b", "c", "a"]) await h.handle(cmd(id));
    expect(calls.map((c) => c.cmdId)).toEqual(["a", "b", "c", "a"]); // "a" was forgotten after "c"
    await h.handle(cmd("c"));
    expect(calls).toHaveLength(4);
  });

  it("a handler error becomes an error answer with its LoaError code, others command_failed", async () => {
    const { link, answers, clock } = await setup({
      setVolume: () => Promise.reject(new LoaError("amp_timeout", "amplifier did not answer (3 tries)")),
      ampPower: () => {
        throw new TypeError("x is not a function");
      },
      testTone: () => Promise.reject(new LoaError("Bad Code!", "weird")),
    });
    link.deliver("cmd", exampleCommands.set_volume);
    link.deliver("cmd", exampleCommands.amp_power);
    link.deliver("cmd", exampleCommands.test_tone);
    await clock.advance(0);
    const byId = (a: CmdResPayload, b: CmdResPayload): number => a.cmdId.localeCompare(b.cmdId);
    expect(answers().sort(byId)).toEqual(
      [
        { cmdId: exampleCommands.set_volume.cmdId, ok: false, error: { code: "amp_timeout", message: "amplifier did not answer (3 tries)" } },
        { cmdId: exampleCommands.amp_power.cmdId, ok: false, error: { code: "command_failed", message: "x is not a function" } },
        { cmdId: exampleCommands.test_tone.cmdId, ok: false, error: { code: "command_failed", message: "weird" } },
      ].sort(byId),
    );
  });

  it("a hung handler is answered timeout; a result the schema refuses is answered invalid_result", async () => {
    const { link, answers, clock } = await setup({
      playNow: () => new Promise(() => undefined),
      stop: () => Promise.resolve({ big: "x".repeat(70_000) }),
    });
    link.deliver("cmd", exampleCommands.play_now);
    link.deliver("cmd", exampleCommands.stop);
    await clock.advance(0); // let the handlers start (and arm their timeout)
    await clock.advance(4_999);
    expect(answers().map((a) => a.cmdId)).toEqual([exampleCommands.stop.cmdId]);
    await clock.advance(1);
    expect(answers().map((a) => [a.cmdId, a.ok ? "ok" : a.error.code])).toEqual([
      [exampleCommands.stop.cmdId, "invalid_result"],
      [exampleCommands.play_now.cmdId, "timeout"],
    ]);
  });

  it("reboot: answers first, then exits with 75, once even if redelivered", async () => {
    const { link, exits, answers, clock } = await setup();
    const order: string[] = [];
    link.onSent((m) => {
      if (m.kind === "cmdRes") order.push("answer");
    });
    const handler2 = new CommandHandler({
      link,
      clock,
      log,
      targets: targets([]),
      exit: (code) => {
        order.push(`exit ${code}`);
      },
    });
    await handler2.handle(exampleCommands.reboot);
    expect(order).toEqual(["answer", `exit ${REBOOT_EXIT_CODE}`]);
    link.deliver("cmd", exampleCommands.reboot);
    await clock.advance(0);
    link.deliver("cmd", exampleCommands.reboot);
    await clock.advance(0);
    expect(exits).toEqual([75]);
    expect(answers().at(-1)).toEqual({ cmdId: exampleCommands.reboot.cmdId, ok: true, result: { restarting: true, exitCode: 75 } });
  });

  it("reboot while offline: waits (bounded) for the answer to leave, then exits anyway", async () => {
    const { link, exits, clock, handler } = await setup();
    link.disconnect();
    const done = handler.handle(exampleCommands.reboot);
    await clock.advance(0);
    await clock.advance(4_999);
    expect(exits).toEqual([]);
    await clock.advance(1);
    await done;
    expect(exits).toEqual([75]);
  });

  it("an expired reboot never exits", async () => {
    const { exits, answers, handler, clock } = await setup();
    await clock.advance(3_600_000);
    await handler.handle(exampleCommands.reboot);
    expect(exits).toEqual([]);
    expect(answers()[0]).toMatchObject({ ok: false, error: { code: "expired" } });
  });

  it("checks expiry only after the clock is synced (a board behind by its outage must not run stale commands)", async () => {
    let synced!: () => void;
    const clock = new FakeClock(T0);
    const cloudAhead = { offset: 0 };
    const ready = new Promise<void>((r) => (synced = r));
    const link = new MemoryLink({ clock });
    const calls: Calls = [];
    const h = new CommandHandler({
      link,
      clock: new SyncedClock(clock, () => cloudAhead.offset),
      log,
      targets: targets(calls),
      exit: () => undefined,
      clockReady: () => ready,
    });
    await link.start();
    const p = h.handle(exampleCommands.set_volume);
    await clock.advance(100);
    cloudAhead.offset = 3_600_000; // the sync reveals the device was an hour behind
    synced();
    expect(await p).toMatchObject({ ok: false, error: { code: "expired" } });
    expect(calls).toHaveLength(0);
  });

  it("answers an invalid or unknown command whose cmdId is readable; ignores one without", async () => {
    const { link, answers, clock, calls } = await setup();
    link.deliver("cmd", { ...exampleCommands.set_volume, args: { volume: 900 } });
    link.deliver("cmd", { cmdId: "cmd_future", type: "self_destruct", args: {}, expiresAt: "2026-01-01T06:05:00.000Z" });
    link.deliver("cmd", { type: "stop" });
    link.inject(link.topics.cmd(link.deviceId), "{not json");
    await clock.advance(0);
    expect(calls).toHaveLength(0);
    const got = answers();
    expect(got.map((a) => [a.cmdId, a.ok ? "ok" : a.error.code])).toEqual([
      [exampleCommands.set_volume.cmdId, "invalid_command"],
      ["cmd_future", "unsupported_command"],
    ]);
    expect(got[0]?.ok === false && got[0].error.message).toMatch(/args\.volume/);
  });

  it("stop() unsubscribes", async () => {
    const { link, handler, calls, clock } = await setup();
    handler.stop();
    link.deliver("cmd", exampleCommands.stop);
    await clock.advance(0);
    expect(calls).toHaveLength(0);
  });
});
