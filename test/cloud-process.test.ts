/**
 * The cloud as operators run it (ARCHITECTURE §4, §7, §9 `loa-cloud` / `npm start`): the compiled binary as
 * a child process on free loopback ports with a temp data dir. Login, provisioning, a real mqtt.js device
 * (birth, telemetry, a command answered), presence and health over REST and SSE, /metrics and /healthz,
 * SIGTERM → exit 0, a restart that keeps the device and the admin login, the first-start password printed
 * once, and bad settings listed all at once.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTopics, examples, type StatusBirth } from "@loa/shared";
import { generateTone } from "../cloud/src/adapters/ffmpeg/tone.js";
import { verifyMosquittoHash } from "../cloud/src/broker/mosquitto-passwd.js";
import { openSse, runCloud, startCloudProcess, waitFor, type CloudProcess, type SseEvent } from "./support/cloud-process.js";
import { sessionRequest, type SessionReply } from "./support/login.js";
import { ensureBuilt, stopProcess } from "./support/processes.js";

const ADMIN_PASSWORD = "matkhau-thu-nghiem-1";
const topics = createTopics();
const dirs: string[] = [];
const procs: CloudProcess[] = [];
const clients: MqttClient[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "loa-cloud-proc-"));
  dirs.push(d);
  return d;
}

async function start(env: Record<string, string>): Promise<CloudProcess> {
  const p = await startCloudProcess(env);
  procs.push(p);
  return p;
}

interface Api {
  req(method: string, path: string, body?: unknown): Promise<SessionReply<unknown>>;
  cookie: string;
}

/** Log in as admin: a client in that session, or the refused login's status. */
async function login(base: string, password: string): Promise<Api | number> {
  const r = await fetch(`${base}/api/v1/auth/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: "admin", password }) });
  if (r.status !== 200) return r.status;
  const cookie = (r.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  return { cookie, req: (method, path, body) => sessionRequest(base, cookie, method, path, body) };
}

function mustLogin(a: Api | number): Api {
  if (typeof a === "number") throw new Error(`login failed with ${a}`);
  return a;
}

async function connectDevice(port: number, id: string, token: string, bootId: string): Promise<MqttClient> {
  const c = await connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: `loa-edge-${id}`,
    username: id,
    password: token,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    will: { topic: topics.status(id), payload: Buffer.from(JSON.stringify({ online: false, bootId })), qos: 1, retain: true },
  });
  clients.push(c);
  return c;
}

const birth = (bootId: string): StatusBirth => ({ online: true, bootId, agentVersion: "0.1.0", profile: "loa-amp-v1", startedAt: new Date().toISOString() });
const find = (events: SseEvent[], event: string, pred: (d: Record<string, unknown>) => boolean) =>
  events.find((e) => e.event === event && pred(e.data as Record<string, unknown>));

beforeAll(() => {
  ensureBuilt();
}, 180_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  await Promise.all(procs.map((p) => stopProcess(p, 2000)));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("loa-cloud as a process", () => {
  const dataDir = tempDir();
  let cloud: CloudProcess;
  let api: Api;
  let device = { id: "", token: "" };

  it("starts on free ports, logs the admin in, provisions a device with token and edge config", async () => {
    cloud = await start({ LOA_DATA_DIR: dataDir, LOA_ADMIN_PASSWORD: ADMIN_PASSWORD });
    expect(cloud.stdout()).toContain('created user "admin" with the password from LOA_ADMIN_PASSWORD');
    expect(cloud.stdout()).not.toContain(ADMIN_PASSWORD);
    api = mustLogin(await login(cloud.httpUrl, ADMIN_PASSWORD));
    const me = (await api.req("GET", "/api/v1/me")).json as { user: { areaId: string } };
    const area = await api.req("POST", "/api/v1/areas", { name: "Xã Thử", parentId: me.user.areaId, kind: "commune" });
    expect(area.status).toBe(201);
    const created = await api.req("POST", "/api/v1/devices", { name: "Loa đình làng", areaId: (area.json as { id: string }).id });
    expect(created.status).toBe(201);
    const body = created.json as { device: { id: string }; token: string; edgeConfig: Record<string, unknown> };
    expect(body.edgeConfig).toMatchObject({ deviceId: body.device.id, token: body.token, mqttUrl: `mqtt://127.0.0.1:${cloud.mqttPort}`, prefix: "loa/v1", tz: "Asia/Ho_Chi_Minh" });
    expect(created.text).not.toMatch(/tokenHash|mqttHash/);
    device = { id: body.device.id, token: body.token };
  });

  it("a real device's birth and telemetry show on REST and on the SSE stream", async () => {
    const sse = await openSse(`${cloud.httpUrl}/api/v1/stream`, { cookie: api.cookie });
    expect(sse.status).toBe(200);
    expect(sse.contentType).toMatch(/^text\/event-stream/);
    await waitFor(() => (sse.raw().includes("retry:") ? true : undefined), "the retry hint");
    const c = await connectDevice(cloud.mqttPort, device.id, device.token, "boot_1");
    await c.publishAsync(topics.status(device.id), JSON.stringify(birth("boot_1")), { qos: 1, retain: true });
    const telemetry = { ...examples.telemetry, ts: Date.now(), playing: null, amp: { ...examples.telemetry.amp, temperatureC: 47.5, faults: ["fan_fault"] } };
    await c.publishAsync(topics.telemetry(device.id), JSON.stringify(telemetry), { qos: 0 });
    const listed = await waitFor(async () => {
      const r = await api.req("GET", "/api/v1/devices");
      const d = (r.json as { items: Array<{ id: string; state: string; health: { online: boolean; telemetry: { amp?: { temperatureC?: number } } | null } }> }).items.find((x) => x.id === device.id);
      return d?.health.telemetry?.amp?.temperatureC === 47.5 ? d : undefined;
    }, "the device online with health");
    expect(listed).toMatchObject({ state: "fault", health: { online: true, faults: [{ code: "fan_fault" }] } });
    await waitFor(() => find(sse.events, "presence", (d) => d.deviceId === device.id && d.online === true && d.initial === undefined), "SSE presence online");
    const health = await waitFor(() => find(sse.events, "health", (d) => d.deviceId === device.id), "SSE health");
    expect(health.data).toMatchObject({ state: "fault", amp: { reachable: true, temperatureC: 47.5, volume: 80, faults: ["fan_fault"] } });
    expect(find(sse.events, "fault", (d) => d.deviceId === device.id)?.data).toMatchObject({ raised: ["fan_fault"], cleared: [] });
    sse.close();
  });

  it("a command goes out as cmd (QoS 1) and its cmd/res answer is the command's state, also on SSE", async () => {
    const c = clients.at(-1);
    if (!c) throw new Error("no device client");
    const sse = await openSse(`${cloud.httpUrl}/api/v1/stream`, { cookie: api.cookie });
    const got: unknown[] = [];
    c.on("message", (topic, payload) => {
      if (topic !== topics.cmd(device.id)) return;
      const cmd = JSON.parse(payload.toString("utf8")) as { cmdId: string; args: { volume: number } };
      got.push(cmd);
      void c.publishAsync(topics.cmdRes(device.id), JSON.stringify({ cmdId: cmd.cmdId, ok: true, result: { volume: cmd.args.volume } }), { qos: 1 });
    });
    await c.subscribeAsync(topics.cmd(device.id), { qos: 1 });
    const sent = await api.req("POST", `/api/v1/devices/${device.id}/commands`, { type: "set_volume", args: { volume: 65 } });
    expect(sent.status).toBe(202);
    const { cmdId } = sent.json as { cmdId: string };
    const done = await waitFor(async () => {
      const r = await api.req("GET", `/api/v1/devices/${device.id}/commands/${cmdId}`);
      return (r.json as { status: string }).status === "ok" ? r.json : undefined;
    }, "the command answered");
    expect(done).toMatchObject({ cmdId, deviceId: device.id, type: "set_volume", status: "ok", result: { volume: 65 } });
    expect(got).toEqual([{ cmdId, type: "set_volume", args: { volume: 65 }, expiresAt: expect.stringMatching(/Z$/) }]);
    await waitFor(() => find(sse.events, "command", (d) => d.cmdId === cmdId && d.status === "ok"), "SSE command ok");
    sse.close();
  });

  it("delivery is wired: a broadcast for the device puts a play in its retained plan and a play event on SSE", async () => {
    const c = clients.at(-1);
    if (!c) throw new Error("no device client");
    const wav = await generateTone({ durationMs: 4000, outPath: join(tempDir(), "tone.wav") });
    const form = new FormData();
    form.set("title", "Thông báo họp thôn");
    form.set("file", new Blob([readFileSync(wav)], { type: "audio/wav" }), "tone.wav");
    const up = await fetch(`${cloud.httpUrl}/api/v1/bulletins`, { method: "POST", headers: { cookie: api.cookie }, body: form });
    expect(up.status).toBe(201);
    const { bulletin } = (await up.json()) as { bulletin: { id: string; sha256: string } };
    const plans: Array<{ items: Array<{ playId: string; media: { sha256: string } }> }> = [];
    c.on("message", (topic, payload) => void (topic === topics.plan(device.id) && payload.length > 0 ? plans.push(JSON.parse(payload.toString("utf8")) as (typeof plans)[number]) : undefined));
    await c.subscribeAsync(topics.plan(device.id), { qos: 1 });
    const sse = await openSse(`${cloud.httpUrl}/api/v1/stream`, { cookie: api.cookie });
    const at = new Date(Date.now() + 3600_000).toISOString();
    const created = await api.req("POST", "/api/v1/broadcasts", { bulletinId: bulletin.id, targets: { deviceIds: [device.id] }, priority: "normal", when: { at } });
    expect(created.status).toBe(201);
    const broadcastId = (created.json as { broadcast: { id: string } }).broadcast.id;
    const plan = await waitFor(() => plans.find((p) => p.items.some((i) => i.playId.startsWith(`${broadcastId}:`))), "the plan with the play");
    expect(plan.items.find((i) => i.playId.startsWith(broadcastId))?.media.sha256).toBe(bulletin.sha256);
    const play = await waitFor(() => find(sse.events, "play", (d) => typeof d.playId === "string" && d.playId.startsWith(`${broadcastId}:`)), "SSE play event");
    expect(play.data).toMatchObject({ deviceId: device.id, broadcastId, status: "planned" });
    sse.close();
    const metrics = await (await fetch(`${cloud.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^loa_plans_published_total [1-9]\d*$/m);
  });

  it("/metrics has the gauges and counters; /healthz reports every part ok", async () => {
    const text = await (await fetch(`${cloud.httpUrl}/metrics`)).text();
    expect(text).toMatch(/^loa_devices_online 1$/m);
    expect(text).toMatch(/^loa_devices\{state="fault"\} 1$/m);
    expect(text).toMatch(/^loa_mqtt_messages_in_total\{kind="telemetry"\} 1$/m);
    expect(text).toMatch(/^loa_mqtt_broker_messages_in_total \d+$/m);
    expect(text).toMatch(/^loa_http_request_duration_seconds_bucket\{le="[^"]+",route="\/api\/v1\/devices",method="GET",status="200"\} \d+$/m);
    expect(text).toMatch(/^loa_journal_entries_total\{kind="cmd"\} 2$/m);
    const hz = await fetch(`${cloud.httpUrl}/healthz`);
    expect(hz.status).toBe(200);
    expect(await hz.json()).toMatchObject({ ok: true, checks: { store: { ok: true }, broker: { ok: true }, mqtt: { ok: true } } });
  });

  it("SIGTERM exits 0 quickly; a restart on the same data dir keeps the device and the admin login", async () => {
    const t0 = Date.now();
    expect(await stopProcess(cloud)).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(cloud.stdout()).toContain("loa-cloud: stopped");
    // A different LOA_ADMIN_PASSWORD does nothing once a user exists.
    cloud = await start({ LOA_DATA_DIR: dataDir, LOA_ADMIN_PASSWORD: "another-password-9" });
    expect(cloud.stdout()).not.toContain("created user");
    expect(await login(cloud.httpUrl, "another-password-9")).toBe(401);
    api = mustLogin(await login(cloud.httpUrl, ADMIN_PASSWORD));
    const r = await api.req("GET", `/api/v1/devices/${device.id}`);
    expect(r.status).toBe(200);
    // Its token still opens the (new) broker.
    const c = await connectDevice(cloud.mqttPort, device.id, device.token, "boot_2");
    expect(c.connected).toBe(true);
    expect(await stopProcess(cloud)).toBe(0);
  });

  it("export-mosquitto writes the broker's files from the data dir, with the device's token as a Mosquitto hash", async () => {
    const out = join(tempDir(), "mosquitto");
    const run = runCloud({ LOA_DATA_DIR: dataDir, LOA_MQTT_CLOUD_PASSWORD: "cloud-password-0123456789" }, ["export-mosquitto", "--out", out, "--listen-port", "18830"]);
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toContain("1 device(s) in the password file");
    expect(run.stdout()).not.toContain("cloud-password-0123456789");
    const lines = readFileSync(join(out, "passwd"), "utf8").trim().split("\n");
    const hash = lines.find((l) => l.startsWith(`${device.id}:`))?.slice(device.id.length + 1) ?? "";
    expect(verifyMosquittoHash(hash, device.token)).toBe(true);
    expect(lines.some((l) => l.startsWith("loa-cloud:"))).toBe(true);
    expect(statSync(join(out, "passwd")).mode & 0o777).toBe(0o640);
    expect(readFileSync(join(out, "mosquitto.conf"), "utf8")).toMatch(/^listener 18830$/m);
    // Without the cloud password one is generated and shown once.
    const gen = runCloud({ LOA_DATA_DIR: dataDir }, ["export-mosquitto", "--out", out]);
    expect(await gen.exited).toBe(0);
    expect(gen.stdout()).toMatch(/LOA_MQTT_CLOUD_PASSWORD='[A-Za-z0-9_-]{32}'/);
    // No catalogue, no export.
    const none = runCloud({ LOA_DATA_DIR: join(tempDir(), "empty") }, ["export-mosquitto", "--out", out]);
    expect(await none.exited).toBe(1);
    expect(none.stderr()).toMatch(/no catalogue at .*catalog\.json/);
  });
});

describe("loa-cloud first start and bad settings", () => {
  it("prints a generated admin password once; it logs in; a restart prints none", async () => {
    const dataDir = tempDir();
    const first = await start({ LOA_DATA_DIR: dataDir });
    const m = /password: (\S+)/.exec(first.stdout());
    expect(m?.[1]).toMatch(/^\S{12,}$/);
    mustLogin(await login(first.httpUrl, m?.[1] ?? ""));
    expect(await stopProcess(first)).toBe(0);
    const second = await start({ LOA_DATA_DIR: dataDir });
    expect(second.stdout()).not.toMatch(/password:/);
    expect(await stopProcess(second)).toBe(0);
  });

  it("exits non-zero listing every bad setting with its key, before opening anything", async () => {
    const dataDir = join(tempDir(), "never-created");
    const run = runCloud({ LOA_DATA_DIR: dataDir, LOA_HTTP_PORT: "abc", MQTT_URL: "mqtt://127.0.0.1:1", LOA_TZ: "Mars/Base" });
    const code = await run.exited;
    expect(code).toBe(2);
    const err = run.stderr();
    expect(err).toMatch(/LOA_HTTP_PORT: expected a port number/);
    expect(err).toMatch(/LOA_MQTT_CLOUD_PASSWORD[^\n]*: required with an external broker/);
    expect(err).toMatch(/LOA_TZ: expected an IANA time zone/);
    expect(run.stdout()).not.toContain("ready");
    expect(existsSync(dataDir)).toBe(false);
  });
});
