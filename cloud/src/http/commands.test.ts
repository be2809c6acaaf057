import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readAudit } from "../core/audit.js";
import { bodyOf, startHarness, type Harness } from "./harness.fixture.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  await h.addDevice("dev_a", "V1");
  await h.addDevice("dev_c2", "V2");
  await h.catalog.update((d) => {
    const base = { sha256: "a".repeat(64), bytes: 1000, durationMs: 5000, codec: "opus" as const, loudnessLufs: -16, source: "upload" as const, createdBy: "u_root", createdAt: "2026-01-01T00:00:00.000Z" };
    d.bulletins.push({ ...base, id: "bul_prov", title: "Toàn tỉnh", areaId: "P" }, { ...base, id: "bul_c2", title: "Xã Hai", areaId: "C2" });
  });
});
afterEach(async () => {
  await h.close();
});

describe("POST /api/v1/devices/:id/commands", () => {
  it("accepts an operator's command (202 {cmdId}, Location), hands it to the port, audits it", async () => {
    const r = await h.req("POST", "/api/v1/devices/dev_a/commands", { cookie: await h.login("c1op"), body: { type: "set_volume", args: { volume: 70 } } });
    expect(r.status).toBe(202);
    const { cmdId } = bodyOf<{ cmdId: string }>(r);
    expect(cmdId).toBe("cmd_1");
    expect(r.headers.get("location")).toBe("/api/v1/devices/dev_a/commands/cmd_1");
    expect(h.commands.sent).toEqual([{ deviceId: "dev_a", type: "set_volume", args: { volume: 70 }, by: { userId: "u_c1op", username: "c1op" } }]);
    const audit = await readAudit(h.journal, (e) => e.action === "device.command");
    expect(audit).toMatchObject([{ target: { id: "dev_a" }, details: { cmdId: "cmd_1", type: "set_volume" } }]);
  });

  it("fills defaults for argument-less commands and play_now's priority", async () => {
    const cookie = await h.login("c1admin");
    expect((await h.req("POST", "/api/v1/devices/dev_a/commands", { cookie, body: { type: "reboot" } })).status).toBe(202);
    expect((await h.req("POST", "/api/v1/devices/dev_a/commands", { cookie, body: { type: "play_now", args: { bulletinId: "bul_prov" } } })).status).toBe(202);
    expect(h.commands.sent.map((c) => [c.type, c.args])).toEqual([
      ["reboot", {}],
      ["play_now", { bulletinId: "bul_prov", priority: "normal" }],
    ]);
  });

  it("play_now needs a bulletin the caller may use (its subtree or above)", async () => {
    const r = await h.req("POST", "/api/v1/devices/dev_a/commands", { cookie: await h.login("c1op"), body: { type: "play_now", args: { bulletinId: "bul_c2" } } });
    expect(r.status).toBe(422);
    expect(r.json).toMatchObject({ detail: "bulletin bul_c2 does not exist" });
    expect(h.commands.sent).toEqual([]);
  });

  it("is for operators and admins of the device's area: staff 403, another commune 403, anonymous 401", async () => {
    const body = { type: "stop" };
    const staff = await h.req("POST", "/api/v1/devices/dev_a/commands", { cookie: await h.login("c1staff"), body });
    expect(staff.status).toBe(403);
    expect(staff.json).toMatchObject({ detail: "the staff role may not do devices.command" });
    expect((await h.req("POST", "/api/v1/devices/dev_c2/commands", { cookie: await h.login("c1op"), body })).status).toBe(403);
    expect((await h.req("POST", "/api/v1/devices/dev_a/commands", { body })).status).toBe(401);
    expect((await h.req("POST", "/api/v1/devices/nope/commands", { cookie: await h.login("c1op"), body })).status).toBe(404);
    expect(h.commands.sent).toEqual([]);
  });

  it("validates type and args per type (422 with paths)", async () => {
    const cookie = await h.login("c1op");
    const unknown = await h.req("POST", "/api/v1/devices/dev_a/commands", { cookie, body: { type: "self_destruct", args: {} } });
    expect(unknown.status).toBe(422);
    expect(unknown.json).toMatchObject({ errors: [{ path: "$.type" }] });
    const loud = await h.req("POST", "/api/v1/devices/dev_a/commands", { cookie, body: { type: "set_volume", args: { volume: 150 } } });
    expect(loud.status).toBe(422);
    expect(loud.json).toMatchObject({ errors: [{ path: "$.args.volume", message: expect.stringContaining("100") }] });
    const power = await h.req("POST", "/api/v1/devices/dev_a/commands", { cookie, body: { type: "amp_power", args: { on: "yes" } } });
    expect(power.json).toMatchObject({ errors: [{ path: "$.args.on" }] });
  });

  it("answers 503 when no command port is wired", async () => {
    const bare = await startHarness({ withPorts: false });
    await bare.addDevice("dev_a", "V1");
    const r = await bare.req("POST", "/api/v1/devices/dev_a/commands", { cookie: await bare.login("c1op"), body: { type: "stop" } });
    await bare.close();
    expect(r.status).toBe(503);
    expect(r.json).toMatchObject({ code: "unavailable" });
  });
});

describe("GET /api/v1/devices/:id/commands/:cmdId", () => {
  it("shows the command's state as the port reports it", async () => {
    const cookie = await h.login("c1op");
    await h.req("POST", "/api/v1/devices/dev_a/commands", { cookie, body: { type: "test_tone", args: { freqHz: 1000 } } });
    const pending = await h.req("GET", "/api/v1/devices/dev_a/commands/cmd_1", { cookie });
    expect(pending.status).toBe(200);
    expect(pending.json).toEqual({
      cmdId: "cmd_1",
      deviceId: "dev_a",
      type: "test_tone",
      status: "pending",
      createdAt: "2026-01-01T08:00:00.000Z",
      expiresAt: "2026-01-01T08:01:00.000Z",
    });
    const state = h.commands.states.get("cmd_1");
    if (state) Object.assign(state, { status: "ok", result: { peakDb: -3 } });
    expect((await h.req("GET", "/api/v1/devices/dev_a/commands/cmd_1", { cookie })).json).toMatchObject({ status: "ok", result: { peakDb: -3 } });
  });

  it("404 for an unknown command or a device in another commune; 403 for staff; 401 anonymous", async () => {
    const cookie = await h.login("c1op");
    expect((await h.req("GET", "/api/v1/devices/dev_a/commands/cmd_9", { cookie })).status).toBe(404);
    await h.req("POST", "/api/v1/devices/dev_c2/commands", { cookie: await h.login("c2op"), body: { type: "stop" } });
    expect((await h.req("GET", "/api/v1/devices/dev_c2/commands/cmd_1", { cookie })).status).toBe(404);
    expect((await h.req("GET", "/api/v1/devices/dev_c2/commands/cmd_1", { cookie: await h.login("c1staff") })).status).toBe(403);
    expect((await h.req("GET", "/api/v1/devices/dev_c2/commands/cmd_1")).status).toBe(401);
  });
});
