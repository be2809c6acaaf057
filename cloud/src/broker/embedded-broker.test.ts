/**
 * The embedded broker with real mqtt.js clients over loopback (ARCHITECTURE §3 Auth, §4): authentication,
 * the access rule, WebSocket, invalid payloads, late wills, time sync, revocation, clean shutdown.
 */
import { connect as connectTcp } from "node:net";
import { connectAsync, type IClientOptions, type MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SystemClock, encodePayload, examples, type PayloadOf, type StatusBirth } from "@loa/shared";
import { CloudMqttClient } from "../adapters/mqtt/cloud-mqtt-client.js";
import { Presence } from "../core/presence.js";
import { EmbeddedBroker } from "./embedded-broker.js";
import { catalogOf, deviceWithToken, silentLog } from "./test-kit.fixture.js";
import { until } from "../../../test/support/wait.js";

const A = deviceWithToken("dev_a");
const B = deviceWithToken("dev_b");
const birth = (bootId: string): StatusBirth => ({ online: true, bootId, agentVersion: "0.1.0", profile: "loa-amp-v1", startedAt: "2026-01-01T00:00:00.000Z" });

/** Every message a client receives, as [topic, payload text]. */
function recorder(client: MqttClient): Array<[string, string]> {
  const got: Array<[string, string]> = [];
  client.on("message", (topic, payload) => got.push([topic, payload.toString("utf8")]));
  return got;
}

let broker: EmbeddedBroker;
let cloud: CloudMqttClient;
let presence: Presence;
const catalog = catalogOf([A.device, B.device]);
const inbox: Array<{ kind: string; deviceId: string; payload: unknown }> = [];
const clients: MqttClient[] = [];

/** SUBACK return codes per filter (mqtt.js rejects when any is 128, carrying the SUBACK). */
async function granted(c: MqttClient, filters: string[]): Promise<number[]> {
  try {
    const grants = await c.subscribeAsync(Object.fromEntries(filters.map((f) => [f, { qos: 1 as const }])));
    return grants.map((g) => g.qos);
  } catch (err) {
    return (err as { packet?: { granted?: number[] } }).packet?.granted ?? [];
  }
}

async function device(id: string, token: string, opts: IClientOptions = {}, transport = "tcp"): Promise<MqttClient> {
  const url = transport === "ws" ? `ws://127.0.0.1:${broker.wsPort ?? 0}` : `mqtt://127.0.0.1:${broker.port}`;
  const c = await connectAsync(url, { clientId: id, username: id, password: token, reconnectPeriod: 0, connectTimeout: 3000, ...opts });
  clients.push(c);
  return c;
}

async function refusal(opts: IClientOptions, transport = "tcp"): Promise<number | undefined> {
  try {
    await device(String(opts.username ?? "x"), String(opts.password ?? ""), opts, transport);
  } catch (err) {
    return (err as { code?: number }).code;
  }
  return undefined;
}

beforeAll(async () => {
  broker = await EmbeddedBroker.start({ catalog, log: silentLog, tcp: { host: "127.0.0.1", port: 0 }, ws: { host: "127.0.0.1", port: 0 } });
  const creds = broker.cloudCredentials();
  cloud = new CloudMqttClient({ ...creds, clock: new SystemClock(), log: silentLog, reconnectPeriodMs: 100 });
  presence = new Presence({ clock: new SystemClock(), log: silentLog, revoke: (id) => broker.revoke(id) });
  cloud.on("status", (id, p, meta) => presence.onStatus(id, p, meta));
  cloud.on("telemetry", (id, p) => presence.onTelemetry(id, p));
  cloud.onSeen((id, meta) => presence.seen(id, meta.receivedAt));
  for (const kind of ["status", "telemetry", "events", "cmdRes", "mediaReq"] as const) {
    cloud.on(kind, (deviceId, payload) => void inbox.push({ kind, deviceId, payload }));
  }
  await cloud.start();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  inbox.length = 0;
});

afterAll(async () => {
  await cloud.close();
  await broker.close();
});

describe("EmbeddedBroker authentication (ARCHITECTURE §3 Auth)", () => {
  it("binds a free port for TCP and WebSocket and accepts a device with its token", async () => {
    expect(broker.port).toBeGreaterThan(0);
    expect(broker.wsPort).toBeGreaterThan(0);
    const c = await device("dev_a", A.token);
    expect(c.connected).toBe(true);
  });

  it("refuses a wrong token, another device's token, an unknown user, no credentials, a foreign client id", async () => {
    const before = broker.stats.snapshot().authFailures;
    expect(await refusal({ clientId: "dev_a", username: "dev_a", password: "wrong" })).toBe(4);
    expect(await refusal({ clientId: "dev_a", username: "dev_a", password: B.token })).toBe(4);
    expect(await refusal({ clientId: "dev_zz", username: "dev_zz", password: A.token })).toBe(4);
    expect(await refusal({ clientId: "dev_a" })).toBe(4);
    expect(await refusal({ clientId: "loa-cloud", username: "loa-cloud", password: A.token })).toBe(4);
    expect(await refusal({ clientId: "dev_b", username: "dev_a", password: A.token })).toBe(2);
    expect(broker.stats.snapshot().authFailures - before).toBe(6);
  });

  it("speaks MQTT 3.1.1 only: an MQTT 5 CONNECT is refused even with a valid token", async () => {
    const code = await refusal({ clientId: "dev_a", username: "dev_a", password: A.token, protocolVersion: 5 });
    expect(code).toBe(1); // unacceptable protocol version
  });

  it("WebSocket: a device logs in with its token and reaches the cloud; a wrong token is refused", async () => {
    expect(await refusal({ clientId: "dev_b", username: "dev_b", password: "nope" }, "ws")).toBe(4);
    const c = await device("dev_b", B.token, {}, "ws");
    await c.publishAsync("loa/v1/dev/dev_b/status", encodePayload("status", birth("ws1")), { qos: 1, retain: true });
    await until("birth over WebSocket", () => presence.snapshot("dev_b")?.bootId === "ws1", 3000, 10);
    expect(presence.snapshot("dev_b")?.online).toBe(true);
  });
});

describe("EmbeddedBroker access rule", () => {
  it("a device's subscription to another device's topics or # is granted QoS 128 and delivers nothing", async () => {
    const c = await device("dev_a", A.token);
    const got = recorder(c);
    expect(await granted(c, ["loa/v1/dev/dev_b/plan", "#", "loa/v1/dev/+/cmd", "loa/v1/dev/dev_a/cmd"])).toEqual([128, 128, 128, 1]);
    await cloud.publish("plan", "dev_b", examples.plan);
    await cloud.publish("cmd", "dev_b", examples.cmd);
    await cloud.publish("cmd", "dev_a", { ...examples.cmd, cmdId: "sentinel" });
    await until("the sentinel command", () => got.length > 0, 3000, 10);
    await new Promise((r) => setTimeout(r, 50));
    expect(got.map(([t]) => t)).toEqual(["loa/v1/dev/dev_a/cmd"]);
    expect(c.connected).toBe(true);
  });

  it("a publish to a foreign topic never reaches the cloud, and the publisher is disconnected", async () => {
    const before = broker.stats.snapshot().deniedPublishes;
    const a = await device("dev_a", A.token);
    const b = await device("dev_b", B.token);
    const closed = new Promise<void>((resolve) => a.once("close", () => resolve()));
    a.publish("loa/v1/dev/dev_b/events", encodePayload("events", { ...examples.events, seq: 104 }), { qos: 0 });
    await closed;
    await b.publishAsync("loa/v1/dev/dev_b/events", encodePayload("events", { seq: 7, events: [{ seq: 7, ts: 1, type: "plan_applied", version: 1 }] }), { qos: 1 });
    await until("dev_b's own events", () => inbox.some((m) => m.kind === "events"), 3000, 10);
    expect(inbox.filter((m) => m.kind === "events").map((m) => (m.payload as PayloadOf<"events">).seq)).toEqual([7]);
    expect(broker.stats.snapshot().deniedPublishes - before).toBe(1);
  });

  it("a device may retain only its own status", async () => {
    const a = await device("dev_a", A.token);
    const closed = new Promise<void>((resolve) => a.once("close", () => resolve()));
    a.publish("loa/v1/dev/dev_a/telemetry", encodePayload("telemetry", examples.telemetry), { qos: 0, retain: true });
    await closed;
    expect(inbox.filter((m) => m.kind === "telemetry")).toEqual([]);
  });
});

describe("CloudMqttClient through the embedded broker", () => {
  it("receives every dev→cloud kind typed, and updates presence", async () => {
    const a = await device("dev_a", A.token);
    await a.publishAsync("loa/v1/dev/dev_a/status", encodePayload("status", birth("t1")), { qos: 1, retain: true });
    await a.publishAsync("loa/v1/dev/dev_a/telemetry", encodePayload("telemetry", examples.telemetry), { qos: 0 });
    await a.publishAsync("loa/v1/dev/dev_a/events", encodePayload("events", examples.events), { qos: 1 });
    await a.publishAsync("loa/v1/dev/dev_a/cmd/res", encodePayload("cmdRes", examples.cmdRes), { qos: 1 });
    await a.publishAsync("loa/v1/dev/dev_a/media/req", encodePayload("mediaReq", examples.mediaReq), { qos: 1 });
    await until("five messages", () => inbox.length >= 5, 3000, 10);
    expect(inbox).toEqual([
      { kind: "status", deviceId: "dev_a", payload: birth("t1") },
      { kind: "telemetry", deviceId: "dev_a", payload: examples.telemetry },
      { kind: "events", deviceId: "dev_a", payload: examples.events },
      { kind: "cmdRes", deviceId: "dev_a", payload: examples.cmdRes },
      { kind: "mediaReq", deviceId: "dev_a", payload: examples.mediaReq },
    ]);
    expect(presence.snapshot("dev_a")).toMatchObject({ online: true, bootId: "t1", telemetry: examples.telemetry });
    expect(presence.snapshot("dev_a")?.lastSeen).toBeGreaterThan(0);
  });

  it("drops and counts invalid payloads by kind; broker, cloud and device keep running", async () => {
    const before = cloud.stats().invalid;
    const a = await device("dev_a", A.token);
    await a.publishAsync("loa/v1/dev/dev_a/events", "{not json", { qos: 1 });
    await a.publishAsync("loa/v1/dev/dev_a/events", JSON.stringify({ seq: 1, events: [{ seq: 2, ts: 1, type: "plan_applied", version: 1 }] }), { qos: 1 });
    await a.publishAsync("loa/v1/dev/dev_a/telemetry", Buffer.from([0xff, 0x00]), { qos: 0 });
    await a.publishAsync("loa/v1/dev/dev_a/events", encodePayload("events", examples.events), { qos: 1 });
    await until("the valid batch", () => inbox.length === 1, 3000, 10);
    const after = cloud.stats().invalid;
    expect(after.events - before.events).toBe(2);
    expect(after.telemetry - before.telemetry).toBe(1);
    expect(inbox[0]?.payload).toEqual(examples.events);
    expect(a.connected).toBe(true);
    expect(cloud.connected).toBe(true);
  });

  it("publishes plans retained with QoS 1: a device subscribing later still gets the current plan", async () => {
    await cloud.publish("plan", "dev_a", { ...examples.plan, version: 77 });
    const a = await device("dev_a", A.token);
    const got = recorder(a);
    await a.subscribeAsync("loa/v1/dev/dev_a/plan", { qos: 1 });
    await until("the retained plan", () => got.length === 1, 3000, 10);
    expect(JSON.parse(got[0]?.[1] ?? "{}")).toMatchObject({ version: 77 });
    await cloud.clearRetained("plan", "dev_a");
  });

  it("retained messages through the topic-tree store: wildcard filters get every match, a cleared one is gone", async () => {
    await cloud.publish("plan", "dev_a", { ...examples.plan, version: 5 });
    await cloud.publish("plan", "dev_b", { ...examples.plan, version: 6 });
    const watch = async (filter: string, n: number): Promise<string[]> => {
      const w = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { ...broker.cloudCredentials(), clientId: `loa-cloud:w${clients.length}`, reconnectPeriod: 0 });
      clients.push(w);
      const got = recorder(w);
      await w.subscribeAsync(filter, { qos: 1 });
      await until(`${n} retained for ${filter}`, () => got.length >= n, 3000, 10);
      await new Promise((r) => setTimeout(r, 100)); // nothing more arrives
      return got.map(([t, p]) => `${t} v${String((JSON.parse(p) as { version?: number }).version)}`).sort();
    };
    expect(await watch("loa/v1/dev/+/plan", 2)).toEqual(["loa/v1/dev/dev_a/plan v5", "loa/v1/dev/dev_b/plan v6"]);
    const underB = await watch("loa/v1/dev/dev_b/#", 1); // its retained status too, when an earlier test left one
    expect(underB).toContain("loa/v1/dev/dev_b/plan v6");
    expect(underB.every((t) => t.startsWith("loa/v1/dev/dev_b/"))).toBe(true);
    await cloud.clearRetained("plan", "dev_b");
    expect(await watch("loa/v1/dev/+/plan", 1)).toEqual(["loa/v1/dev/dev_a/plan v5"]);
    await cloud.clearRetained("plan", "dev_a");
  });

  it("answers time/req with {t0, t1, t2} from its clock", async () => {
    const a = await device("dev_a", A.token);
    const got = recorder(a);
    await a.subscribeAsync("loa/v1/dev/dev_a/time/res", { qos: 0 });
    const t0 = Date.now() - 5000;
    const sentAt = Date.now();
    await a.publishAsync("loa/v1/dev/dev_a/time/req", JSON.stringify({ t0 }), { qos: 0 });
    await until("time/res", () => got.length === 1, 3000, 10);
    const res = JSON.parse(got[0]?.[1] ?? "{}") as PayloadOf<"timeRes">;
    expect(res.t0).toBe(t0);
    expect(res.t1).toBeGreaterThanOrEqual(sentAt);
    expect(res.t2).toBeGreaterThanOrEqual(res.t1);
    expect(res.t2).toBeLessThanOrEqual(Date.now());
  });

  it("a late will of an old boot does not mark the reconnected device offline (real wills from aedes)", async () => {
    const will = (bootId: string) => ({ topic: "loa/v1/dev/dev_a/status", payload: encodePayload("status", { online: false, bootId }), qos: 1 as const, retain: true });
    const old = await device("dev_a", A.token, { clientId: "dev_a:bootA", will: will("bootA") });
    await old.publishAsync("loa/v1/dev/dev_a/status", encodePayload("status", birth("bootA")), { qos: 1, retain: true });
    await until("birth A", () => presence.snapshot("dev_a")?.bootId === "bootA", 3000, 10);
    const fresh = await device("dev_a", A.token, { clientId: "dev_a:bootB", will: will("bootB") });
    await fresh.publishAsync("loa/v1/dev/dev_a/status", encodePayload("status", birth("bootB")), { qos: 1, retain: true });
    await until("birth B", () => presence.snapshot("dev_a")?.bootId === "bootB", 3000, 10);
    const ignored = presence.ignoredWills;
    old.stream.destroy(); // no DISCONNECT: the broker publishes A's will now, after B's birth
    await until("the late will of A", () => presence.ignoredWills === ignored + 1, 3000, 10);
    expect(presence.snapshot("dev_a")).toMatchObject({ online: true, bootId: "bootB" });
    fresh.stream.destroy();
    await until("the will of B", () => presence.snapshot("dev_a")?.online === false, 3000, 10);
    expect(presence.snapshot("dev_a")?.bootId).toBe("bootB");
  });

  it("the edge agent's reconnect with the same client id (takeover): online with the new boot, retained status too", async () => {
    const will = (bootId: string) => ({ topic: "loa/v1/dev/dev_a/status", payload: encodePayload("status", { online: false, bootId }), qos: 1 as const, retain: true });
    const opts = (bootId: string): IClientOptions => ({ clientId: "loa-edge-dev_a", clean: false, will: will(bootId) });
    const old = await device("dev_a", A.token, opts("edgeA"));
    await old.publishAsync("loa/v1/dev/dev_a/status", encodePayload("status", birth("edgeA")), { qos: 1, retain: true });
    await until("birth A", () => presence.snapshot("dev_a")?.bootId === "edgeA", 3000, 10);
    const oldClosed = new Promise<void>((resolve) => old.once("close", () => resolve()));
    const fresh = await device("dev_a", A.token, opts("edgeB")); // the broker drops `old` and publishes its will
    await oldClosed;
    await fresh.publishAsync("loa/v1/dev/dev_a/status", encodePayload("status", birth("edgeB")), { qos: 1, retain: true });
    await until("birth B", () => presence.snapshot("dev_a")?.bootId === "edgeB" && presence.snapshot("dev_a")?.online === true, 3000, 10);
    const watcher = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { ...broker.cloudCredentials(), clientId: "loa-cloud:probe", reconnectPeriod: 0 });
    clients.push(watcher);
    const retained = recorder(watcher);
    await watcher.subscribeAsync("loa/v1/dev/dev_a/status", { qos: 1 });
    await until("the retained status", () => retained.length === 1, 3000, 10);
    expect(JSON.parse(retained[0]?.[1] ?? "{}")).toMatchObject({ online: true, bootId: "edgeB" });
  });

  it("revoke drops a device's live sessions", async () => {
    const a = await device("dev_a", A.token);
    const closed = new Promise<void>((resolve) => a.once("close", () => resolve()));
    await presence.revoke("dev_a");
    await closed;
    expect(a.connected).toBe(false);
  });

  it("counts connections and messages for /metrics", () => {
    const s = broker.stats.snapshot();
    expect(s.connections).toBeGreaterThan(5);
    expect(s.messagesIn).toBeGreaterThan(5);
    expect(s.messagesOut).toBeGreaterThan(5);
    expect(s.deniedSubscribes).toBeGreaterThanOrEqual(3);
    expect(s.connected).toBeGreaterThanOrEqual(1); // the cloud
  });
});

describe("EmbeddedBroker shutdown", () => {
  it("closes clients and both listeners; close twice is fine", async () => {
    const b2 = await EmbeddedBroker.start({ catalog, log: silentLog, tcp: { host: "127.0.0.1", port: 0 }, ws: { host: "127.0.0.1", port: 0 } });
    const port = b2.port;
    const c = await connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: "dev_a", username: "dev_a", password: A.token, reconnectPeriod: 0 });
    const idle = connectTcp(port, "127.0.0.1"); // never sends CONNECT
    await new Promise<void>((resolve) => idle.once("connect", () => resolve()));
    const idleClosed = new Promise<void>((resolve) => idle.once("close", () => resolve()));
    const closed = new Promise<void>((resolve) => c.once("close", () => resolve()));
    await Promise.all([b2.close(), b2.close()]);
    await closed;
    await idleClosed;
    await expect(connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 1000 })).rejects.toThrow();
    await c.endAsync(true);
  });

  it("fails to start on a port in use and releases what it bound", async () => {
    await expect(EmbeddedBroker.start({ catalog, log: silentLog, tcp: { host: "127.0.0.1", port: broker.port } })).rejects.toThrow(/EADDRINUSE/);
  });
});
