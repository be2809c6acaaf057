import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { CmdPayload, FakeClock, EXAMPLE_SHA256, type Bulletin, type CmdPayload as Cmd, type Device } from "@loa/shared";
import type { JournalEntry } from "../ports/store.js";
import type { CommandState } from "../ports/device-commands.js";
import { CommandCenter, type CommandCenterDeps } from "./commands.js";

const device: Device = { id: "dev_a", name: "Loa 1", areaId: "V1", profile: "loa-amp-v1", tokenHash: "0".repeat(64), createdAt: "2026-01-01T00:00:00.000Z" };
const bulletin: Bulletin = {
  id: "bul_1", title: "Thông báo", sha256: EXAMPLE_SHA256, bytes: 150_000, durationMs: 9_500, codec: "opus",
  loudnessLufs: -16, source: "upload", areaId: "V1", createdBy: "usr_1", createdAt: "2026-01-01T00:00:00.000Z",
};
const by = { userId: "usr_1", username: "op" };

function setup(over: Partial<CommandCenterDeps> = {}) {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 6));
  const sent: Array<{ deviceId: string; cmd: Cmd }> = [];
  const journal: JournalEntry[] = [];
  const changes: CommandState[] = [];
  const center = new CommandCenter({
    catalog: { data: () => ({ areas: [], users: [], devices: [device], bulletins: [bulletin], broadcasts: [], tokens: [], meta: {} }) },
    journal: {
      append: (...e: JournalEntry[]) => {
        journal.push(...e);
        return Promise.resolve();
      },
    },
    publish: (deviceId, cmd) => {
      sent.push({ deviceId, cmd });
      return Promise.resolve();
    },
    clock,
    log: pino({ level: "silent" }),
    ttlMs: 60_000,
    graceMs: 5_000,
    ...over,
  });
  center.onChange((s) => changes.push(s));
  return { clock, sent, journal, changes, center };
}

describe("CommandCenter (ARCHITECTURE §3 cmd, cmd/res)", () => {
  it("publishes {cmdId, type, args, expiresAt} valid for the shared schema, pending until answered", async () => {
    const { center, sent, clock, journal } = setup();
    const cmdId = await center.send("dev_a", "set_volume", { volume: 70 }, by);
    expect(sent).toHaveLength(1);
    const wire = sent[0]?.cmd;
    expect(CmdPayload.safeParse(wire).success).toBe(true);
    expect(wire).toEqual({ cmdId, type: "set_volume", args: { volume: 70 }, expiresAt: new Date(clock.now() + 60_000).toISOString() });
    expect(center.get("dev_a", cmdId)).toMatchObject({ status: "pending", type: "set_volume", createdAt: clock.now(), expiresAt: clock.now() + 60_000 });
    expect(journal).toEqual([expect.objectContaining({ kind: "cmd", cmdId, deviceId: "dev_a", status: "pending", args: { volume: 70 }, by })]);
  });

  it("play_now: the bulletin becomes its MediaRef and a playId", async () => {
    const { center, sent, clock } = setup();
    const cmdId = await center.send("dev_a", "play_now", { bulletinId: "bul_1", priority: "emergency", volume: 90 }, by);
    const wire = sent[0]?.cmd;
    expect(CmdPayload.safeParse(wire).success).toBe(true);
    expect(wire?.args).toEqual({
      playId: `${cmdId}:${clock.now()}`,
      media: { sha256: EXAMPLE_SHA256, bytes: 150_000, chunkSize: 65_536, durationMs: 9_500, codec: "opus" },
      priority: "emergency",
      volume: 90,
    });
  });

  it("refuses an unknown bulletin (422) and an unknown device (404) without publishing", async () => {
    const { center, sent } = setup();
    await expect(center.send("dev_a", "play_now", { bulletinId: "nope", priority: "normal" }, by)).rejects.toMatchObject({ code: "invalid_request" });
    await expect(center.send("dev_zz", "stop", {}, by)).rejects.toMatchObject({ code: "not_found" });
    expect(sent).toHaveLength(0);
  });

  it("tracks the answer by cmdId: ok with result, error with code; duplicates and foreign devices change nothing", async () => {
    const { center, changes, journal } = setup();
    const a = await center.send("dev_a", "amp_power", { on: true }, by);
    const b = await center.send("dev_a", "reboot", {}, by);
    center.onResult("dev_b", { cmdId: a, ok: false, error: { code: "x", message: "spoofed" } });
    expect(center.get("dev_a", a)?.status).toBe("pending");
    center.onResult("dev_a", { cmdId: a, ok: true, result: { powered: true } });
    center.onResult("dev_a", { cmdId: a, ok: false, error: { code: "late_dup", message: "dup" } });
    center.onResult("dev_a", { cmdId: b, ok: false, error: { code: "amp_timeout", message: "no answer" } });
    expect(center.get("dev_a", a)).toMatchObject({ status: "ok", result: { powered: true } });
    expect(center.get("dev_a", b)).toMatchObject({ status: "error", error: { code: "amp_timeout" } });
    expect(center.get("dev_b", a)).toBeUndefined();
    expect(changes.map((c) => `${c.cmdId === a ? "a" : "b"}:${c.status}`)).toEqual(["a:pending", "b:pending", "a:ok", "b:error"]);
    // The pending entry is durable before the command goes out.
    expect(journal[0]).toMatchObject({ cmdId: a, status: "pending" });
    expect(journal.filter((e) => e.status !== "pending").map((e) => e.status)).toEqual(["ok", "error"]);
  });

  it("expires a command with no answer at expiresAt + grace; a late answer still wins", async () => {
    const { center, clock, changes } = setup();
    const id = await center.send("dev_a", "test_tone", {}, by);
    await clock.advance(60_000 + 4_999);
    expect(center.get("dev_a", id)?.status).toBe("pending");
    await clock.advance(1);
    expect(center.get("dev_a", id)).toMatchObject({ status: "expired", error: { code: "expired" } });
    center.onResult("dev_a", { cmdId: id, ok: true });
    expect(center.get("dev_a", id)?.status).toBe("ok");
    expect(changes.map((c) => c.status)).toEqual(["pending", "expired", "ok"]);
  });

  it("the device's own `expired` answer is status expired", async () => {
    const { center } = setup();
    const id = await center.send("dev_a", "sync_time", {}, by);
    center.onResult("dev_a", { cmdId: id, ok: false, error: { code: "expired", message: "too late" } });
    expect(center.get("dev_a", id)?.status).toBe("expired");
  });

  it("a broker that refuses the publish makes send fail with unavailable and the state error", async () => {
    const { center, changes } = setup({ publish: () => Promise.reject(new Error("not connected")) });
    await expect(center.send("dev_a", "stop", {}, by)).rejects.toMatchObject({ code: "unavailable" });
    expect(changes.at(-1)).toMatchObject({ status: "error", error: { code: "publish_failed" } });
  });

  it("a broker that does not answer in time leaves the command pending (queued), not failed", async () => {
    const { center, clock } = setup({ publish: () => new Promise(() => undefined), publishTimeoutMs: 1000 });
    const p = center.send("dev_a", "stop", {}, by);
    await clock.advance(0); // the journal write comes first, then the publish and its timer
    await clock.advance(1000);
    const id = await p;
    expect(center.get("dev_a", id)?.status).toBe("pending");
  });

  it("forgets finished commands after keepMs and bounds how many it keeps", async () => {
    const { center, clock } = setup({ keepMs: 10_000, maxKept: 3 });
    const first = await center.send("dev_a", "stop", {}, by);
    center.onResult("dev_a", { cmdId: first, ok: true });
    await clock.advance(10_001);
    await center.send("dev_a", "stop", {}, by);
    expect(center.get("dev_a", first)).toBeUndefined();
    const ids = [];
    for (let i = 0; i < 4; i++) {
      const id = await center.send("dev_a", "stop", {}, by);
      center.onResult("dev_a", { cmdId: id, ok: true });
      ids.push(id);
    }
    expect(center.size).toBeLessThanOrEqual(3);
    expect(center.get("dev_a", ids[3] ?? "")?.status).toBe("ok");
  });

  it("forgetDevice drops its commands and their timers; close cancels every timer", async () => {
    const { center, clock } = setup();
    const id = await center.send("dev_a", "stop", {}, by);
    center.forgetDevice("dev_a");
    expect(center.get("dev_a", id)).toBeUndefined();
    await center.send("dev_a", "stop", {}, by);
    center.close();
    expect(clock.pending()).toBe(0);
    await expect(center.send("dev_a", "stop", {}, by)).rejects.toMatchObject({ code: "unavailable" });
  });
});
