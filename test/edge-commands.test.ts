/**
 * The receiver's remote commands, telemetry and amplifier safety (ARCHITECTURE §3 cmd, telemetry; §5 safety),
 * in-process on a real aedes broker with the firmware simulator as the amplifier: every command answered on
 * cmd/res; expired refused; reboot asks for exit 75; mute before anything at start and on a reconnect; the
 * safe stop ramps down, mutes and powers off.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CmdPayload, CmdResPayload } from "@loa/shared";
import type { TestBroker } from "../edge-agent/src/adapters/mqtt/aedes-broker.fixture.js";
import { openEdgeWorld, waitUntil, type EdgeWorld, type FakeCloud } from "./fixtures/edge-cloud.js";
import { makeBulletin, startEdge, type EdgeUnderTest } from "./fixtures/edge-harness.js";

const DEVICE = "dev_edge_cmd";
const TOKEN = "tok-edge-cmd";
const MUTE = 2;
const VOLUME = 1;
const POWER = 0;

let world: EdgeWorld;
let dir = "";
let broker: TestBroker;
let cloud: FakeCloud;
let edge: EdgeUnderTest;

beforeAll(async () => {
  world = await openEdgeWorld({ deviceId: DEVICE, token: TOKEN, tmpPrefix: "loa-edge-cmd-" });
  ({ dir, broker, cloud } = world);
  edge = await startEdge({ dir, url: broker.deviceUrl, deviceId: DEVICE, token: TOKEN, options: { telemetryIntervalS: 1 } });
  await waitUntil("online", () => edge.link.online);
});

afterAll(async () => {
  await edge.stop();
  await world.close();
});

let n = 0;
/** Send a command and wait for its answer. */
async function command<T extends CmdPayload["type"]>(type: T, args: Extract<CmdPayload, { type: T }>["args"], expiresInMs = 60_000): Promise<CmdResPayload> {
  const cmdId = `c_${type}_${++n}`;
  await cloud.sendCmd({ cmdId, type, args, expiresAt: new Date(Date.now() + expiresInMs).toISOString() } as CmdPayload);
  await waitUntil(`answer to ${cmdId}`, () => cloud.cmdRes.some((r) => r.cmdId === cmdId), 15_000);
  const res = cloud.cmdRes.find((r) => r.cmdId === cmdId);
  if (!res) throw new Error("unreachable");
  return res;
}

/** The result of a successful answer. */
function resultOf(res: CmdResPayload): Record<string, unknown> {
  if (!res.ok) throw new Error(`command failed: ${res.error.code} ${res.error.message}`);
  return res.result ?? {};
}

/** Writes the amplifier saw (FC 06/16), as [address, value]. */
function writes(since = 0): [number, number][] {
  return edge.engine
    .trace()
    .filter((e) => e.dir === "request" && (e.fc === 6 || e.fc === 16) && e.t >= since)
    .map((e) => [e.address ?? -1, e.values?.[0] ?? -1]);
}

describe("receiver commands", () => {
  it("muted the amplifier before anything else at start", () => {
    expect(writes()[0]).toEqual([MUTE, 1]);
  });

  it("publishes telemetry every interval with the amplifier's health", async () => {
    await waitUntil("two telemetry samples", () => cloud.telemetry.length >= 2, 5_000);
    const t = cloud.telemetry[cloud.telemetry.length - 1];
    expect(t).toMatchObject({ agentVersion: "0.1.0-test", amp: { reachable: true, faults: [] }, outboxDepth: expect.any(Number) as number, playing: null });
  });

  it("answers sync_time, set_volume, amp_power, test_tone and stop", async () => {
    const sync = await command("sync_time", {});
    expect(sync).toMatchObject({ ok: true, result: { offsetMs: expect.any(Number) as number } });
    expect(Math.abs(Number(resultOf(sync).offsetMs))).toBeLessThan(50);

    expect(await command("set_volume", { volume: 40 })).toEqual({ cmdId: expect.any(String) as string, ok: true, result: { volume: 40 } });
    const since = Date.now();
    expect(await command("amp_power", { on: true })).toMatchObject({ ok: true, result: { on: true } });
    expect(edge.engine.readRegister("power")).toBe(1);
    // Power on muted: the mute write goes first.
    expect(writes(since).slice(0, 2)).toEqual([[MUTE, 1], [POWER, 1]]);

    const tone = await command("test_tone", { freqHz: 1000, durationMs: 400 });
    expect(tone).toMatchObject({ ok: true, result: { interruptedBy: null, ampError: null } });
    const playedMs = Number(resultOf(tone).playedMs);
    expect(Math.abs(playedMs - 400)).toBeLessThanOrEqual(30);
    expect(edge.engine.readRegister("volume")).toBe(40);

    expect(await command("stop", {})).toMatchObject({ ok: true, result: { stopped: false } });
    expect(await command("amp_power", { on: false })).toMatchObject({ ok: true, result: { on: false } });
    expect(edge.engine.readRegister("power")).toBe(0);
  });

  it("refuses an expired command without running it", async () => {
    const before = edge.engine.trace().length;
    const res = await command("amp_power", { on: true }, -1_000);
    expect(res).toMatchObject({ ok: false, error: { code: "expired" } });
    expect(edge.engine.readRegister("power")).toBe(0);
    expect(edge.engine.trace().slice(before).some((e) => e.dir === "request" && e.address === POWER && e.fc !== 3)).toBe(false);
  });

  it("reboot answers first, then asks to exit with 75 (systemd restarts the agent)", async () => {
    const res = await command("reboot", {});
    expect(res).toMatchObject({ ok: true, result: { restarting: true, exitCode: 75 } });
    await waitUntil("exit requested", () => edge.exits.length > 0, 5_000);
    expect(edge.exits).toEqual([75]);
  });

  it("mutes the amplifier on a link reconnect when nothing plays", async () => {
    edge.engine.setRegister("mute", 0);
    const since = Date.now();
    broker.dropDevices();
    await waitUntil("reconnected", () => edge.link.stats().connects >= 2 && edge.link.online, 10_000);
    await waitUntil("muted again", () => edge.engine.readRegister("mute") === 1, 5_000);
    expect(writes(since)[0]).toEqual([MUTE, 1]);
  });

  it("the safe stop during a play mutes, sets the volume to 0 (one write: nothing is heard), mutes and powers off", { timeout: 30_000 }, async () => {
    const media = cloud.addMedia(await makeBulletin(dir, "s", 440, 4_000), 4_000);
    const at = Math.ceil((Date.now() + 2_500) / 100) * 100;
    await cloud.publishPlan({ version: 1, serverTime: new Date().toISOString(), items: [{ playId: `bc_s:${at}`, at: new Date(at).toISOString(), priority: "normal", volume: 60, media }] });
    await waitUntil("playing", () => edge.playerEvents.some((e) => e.type === "play_started"), 10_000);
    await waitUntil("unmuted at volume 60", () => edge.engine.readRegister("mute") === 0 && edge.engine.readRegister("volume") === 60, 3_000);
    const since = Date.now();
    await edge.agent.stop();
    const tail = writes(since);
    const volumes = tail.filter(([a]) => a === VOLUME).map(([, v]) => v);
    // The play is cut and the amplifier muted first; a ramp down would then be heard by nobody (docs/amplifier.md).
    expect(tail.findIndex(([a, v]) => a === MUTE && v === 1)).toBeLessThan(tail.findIndex(([a]) => a === VOLUME));
    expect(volumes).toEqual([0]);
    expect(tail.slice(-2)).toEqual([[MUTE, 1], [POWER, 0]]);
    expect(edge.playerEvents.find((e) => e.type === "play_interrupted")).toMatchObject({ playId: `bc_s:${at}` });
    expect(edge.agent.parts.plans.play(`bc_s:${at}`)?.status).toBe("interrupted");
  });
});
