/**
 * startCloud in-process (ARCHITECTURE §3, §7): the SSE stream is scoped to each user's subtree and keeps
 * the connection alive; deleting a device drops its session, clears its retained status on the broker and
 * forgets its live state; close() releases every port.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync, type MqttClient } from "mqtt";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTopics, type StatusBirth } from "@loa/shared";
import { openSse, waitFor } from "../../../test/support/cloud-process.js";
import { generateTone } from "../adapters/ffmpeg/tone.js";
import { loadCloudConfig } from "../config.js";
import { startCloud, type RunningCloud } from "./start-cloud.js";

const TEST_COST = { N: 1024, r: 8, p: 1 };
const topics = createTopics();
const PASSWORD = "mat-khau-admin-1";
let dir = "";
let cloud: RunningCloud;
const clients: MqttClient[] = [];

async function req(cookie: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const r = await fetch(`${cloud.httpUrl}${path}`, { method, headers: { cookie, ...(body ? { "Content-Type": "application/json" } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const text = await r.text();
  return { status: r.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

async function login(username: string, password: string): Promise<string> {
  const r = await fetch(`${cloud.httpUrl}/api/v1/auth/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username, password }) });
  expect(r.status).toBe(200);
  return (r.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "loa-start-cloud-"));
  const config = loadCloudConfig({ env: { LOA_HOST: "127.0.0.1", LOA_HTTP_PORT: "0", LOA_MQTT_PORT: "0", LOA_MQTT_WS_PORT: "0", LOA_DATA_DIR: dir, LOA_ADMIN_PASSWORD: PASSWORD } });
  cloud = await startCloud(config, { log: pino({ level: "silent" }), delivery: null, passwordCost: TEST_COST, sseHeartbeatMs: 100 });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  await cloud?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("startCloud", () => {
  let admin = "";
  let c2op = "";
  let deviceId = "";
  let token = "";

  it("sets up areas, a user in another commune and a device", async () => {
    admin = await login("admin", PASSWORD);
    const me = (await req(admin, "GET", "/api/v1/me")).json as { user: { areaId: string } };
    const c1 = (await req(admin, "POST", "/api/v1/areas", { name: "Xã Một", parentId: me.user.areaId, kind: "commune" })).json as { id: string };
    const c2 = (await req(admin, "POST", "/api/v1/areas", { name: "Xã Hai", parentId: me.user.areaId, kind: "commune" })).json as { id: string };
    expect((await req(admin, "POST", "/api/v1/users", { username: "c2op", password: "operator-pass-2", role: "operator", areaId: c2.id })).status).toBe(201);
    c2op = await login("c2op", "operator-pass-2");
    const created = (await req(admin, "POST", "/api/v1/devices", { name: "Loa 1", areaId: c1.id })).json as { device: { id: string }; token: string };
    ({ token } = created);
    deviceId = created.device.id;
  });

  it("SSE: each user sees only its subtree; heartbeats keep the stream alive; Last-Event-ID is accepted", async () => {
    const mine = await openSse(`${cloud.httpUrl}/api/v1/stream`, { cookie: admin, "Last-Event-ID": "42" });
    const other = await openSse(`${cloud.httpUrl}/api/v1/stream`, { cookie: c2op });
    expect([mine.status, other.status]).toEqual([200, 200]);
    const anon = await fetch(`${cloud.httpUrl}/api/v1/stream`);
    expect(anon.status).toBe(401);
    const dev = await connectAsync(`mqtt://127.0.0.1:${cloud.mqttPort}`, { clientId: `loa-edge-${deviceId}`, username: deviceId, password: token, reconnectPeriod: 0 });
    clients.push(dev);
    const birth: StatusBirth = { online: true, bootId: "b1", agentVersion: "0.1.0", profile: "loa-amp-v1", startedAt: new Date().toISOString() };
    await dev.publishAsync(topics.status(deviceId), JSON.stringify(birth), { qos: 1, retain: true });
    await waitFor(() => mine.events.find((e) => e.event === "presence" && (e.data as { online?: boolean }).online === true), "admin's presence event");
    await waitFor(() => (other.raw().includes(": ping") ? true : undefined), "a heartbeat on the other stream");
    expect(other.events).toEqual([]);
    expect(mine.events.every((e) => e.id === undefined || Number(e.id) > 0)).toBe(true);
    mine.close();
    other.close();
    // Closed streams unsubscribe from the feed.
    await waitFor(() => (cloud.feed.subscribers === 0 ? true : undefined), "streams released");
  });

  it("play_now: an uploaded bulletin goes to the device as its media reference, with a playId", async () => {
    const wav = await generateTone({ durationMs: 4000, outPath: join(dir, "tone.wav") });
    const form = new FormData();
    form.set("title", "Thông báo thử");
    form.set("file", new Blob([await readFile(wav)], { type: "audio/wav" }), "tone.wav");
    const up = await fetch(`${cloud.httpUrl}/api/v1/bulletins`, { method: "POST", headers: { cookie: admin }, body: form });
    expect(up.status).toBe(201);
    const { bulletin } = (await up.json()) as { bulletin: { id: string; sha256: string; bytes: number; durationMs: number; codec: string } };
    const dev = clients[0];
    if (!dev) throw new Error("no device");
    const cmds: Array<{ cmdId: string; type: string; args: Record<string, unknown> }> = [];
    dev.on("message", (topic, payload) => void (topic === topics.cmd(deviceId) ? cmds.push(JSON.parse(payload.toString("utf8")) as (typeof cmds)[number]) : undefined));
    await dev.subscribeAsync(topics.cmd(deviceId), { qos: 1 });
    const sent = await req(admin, "POST", `/api/v1/devices/${deviceId}/commands`, { type: "play_now", args: { bulletinId: bulletin.id, priority: "emergency", volume: 90 } });
    expect(sent.status).toBe(202);
    const { cmdId } = sent.json as { cmdId: string };
    const cmd = await waitFor(() => cmds[0], "the play_now command");
    expect(cmd).toMatchObject({
      cmdId,
      type: "play_now",
      args: { playId: expect.stringMatching(new RegExp(`^${cmdId}:\\d+$`)), priority: "emergency", volume: 90, media: { sha256: bulletin.sha256, bytes: bulletin.bytes, chunkSize: 65536, durationMs: bulletin.durationMs, codec: bulletin.codec } },
    });
    expect((await req(admin, "GET", `/api/v1/devices/${deviceId}/commands/${cmdId}`)).json).toMatchObject({ status: "pending", type: "play_now" });
    const metrics = await (await fetch(`${cloud.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^loa_media_pipeline_duration_seconds_count\{stage="total"\} 1$/m);
  });

  it("deleting a device drops its session, clears its retained status and forgets its live state", async () => {
    const watcher = await connectAsync(`mqtt://127.0.0.1:${cloud.mqttPort}`, { ...cloud.broker?.cloudCredentials(), clientId: "loa-cloud-test-watcher", reconnectPeriod: 0 });
    clients.push(watcher);
    const retained: Buffer[] = [];
    watcher.on("message", (_t, p, packet) => void (packet.retain ? retained.push(p) : undefined));
    await watcher.subscribeAsync(topics.status(deviceId), { qos: 1 });
    await waitFor(() => (retained.length > 0 ? true : undefined), "the retained birth");
    expect(cloud.presence.health(deviceId)?.online).toBe(true);
    const dev = clients[0];
    const closed = new Promise<void>((resolve) => dev?.once("close", () => resolve()));
    expect((await req(admin, "DELETE", `/api/v1/devices/${deviceId}`)).status).toBe(204);
    await closed;
    expect(cloud.presence.health(deviceId)).toBeUndefined();
    await watcher.unsubscribeAsync(topics.status(deviceId));
    retained.length = 0;
    await watcher.subscribeAsync(topics.status(deviceId), { qos: 1 });
    await new Promise((r) => setTimeout(r, 200));
    expect(retained).toEqual([]);
    const metrics = await (await fetch(`${cloud.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^loa_devices_online 0$/m);
  });
});

describe("startCloud failures and close", () => {
  it("a port already taken fails the start and releases what was opened (the store can be reopened)", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const addr = blocker.address();
    const port = typeof addr === "object" && addr ? addr.port : 0;
    const d = await mkdtemp(join(tmpdir(), "loa-start-fail-"));
    const config = loadCloudConfig({ env: { LOA_HOST: "127.0.0.1", LOA_HTTP_PORT: String(port), LOA_MQTT_PORT: "0", LOA_MQTT_WS_PORT: "off", LOA_DATA_DIR: d, LOA_ADMIN_PASSWORD: PASSWORD } });
    await expect(startCloud(config, { log: pino({ level: "silent" }), delivery: null, passwordCost: TEST_COST })).rejects.toMatchObject({ code: "EADDRINUSE" });
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    const again = await startCloud(config, { log: pino({ level: "silent" }), delivery: null, passwordCost: TEST_COST });
    expect(again.httpPort).toBe(port);
    expect(again.wsPort).toBeUndefined();
    await again.close();
    await again.close(); // twice is fine
    await rm(d, { recursive: true, force: true });
  });
});
