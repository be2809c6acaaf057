/**
 * External broker mode (ARCHITECTURE §4): the files from `loa-cloud export-mosquitto` loaded into a real
 * Mosquitto; a device logs in with its token, the §3 access rule holds, and the cloud client works through it.
 * Mosquitto accepts any SUBSCRIBE and withholds what the ACL does not let a client read, so a denied
 * subscription shows as nothing delivered, and a denied publish is dropped without disconnecting.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync, type IClientOptions, type MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SystemClock, encodePayload, examples, type PayloadOf, type StatusBirth } from "@loa/shared";
import { CloudMqttClient } from "../cloud/src/adapters/mqtt/cloud-mqtt-client.js";
import { CLOUD_PASSWORD, catalogOf, deviceWithToken, silentLog } from "../cloud/src/broker/test-kit.fixture.js";
import { freePort, spawnChild, stopProcess, type ChildRun } from "./support/processes.js";
import { exportMosquitto } from "../cloud/src/cli/export-mosquitto.js";
import { Presence } from "../cloud/src/core/presence.js";
import { requireTool } from "./support/tools.js";
import { until } from "./support/wait.js";

const A = deviceWithToken("dev_a");
const B = deviceWithToken("dev_b");
const birth: StatusBirth = { online: true, bootId: "boot_ext", agentVersion: "0.1.0", profile: "loa-amp-v1", startedAt: "2026-01-01T00:00:00.000Z" };

describe.skipIf(!requireTool("mosquitto"))("external Mosquitto with the exported files", () => {
  let dir = "";
  let port = 0;
  let mosquitto: ChildRun | undefined;
  let cloud: CloudMqttClient;
  let presence: Presence;
  const inbox: Array<{ kind: string; deviceId: string; payload: unknown }> = [];
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "loa-mosq-"));
    chmodSync(dir, 0o755); // mosquitto started as root drops to its own user and must still read the files
    port = await freePort();
    const res = await exportMosquitto({
      catalog: catalogOf([A.device, B.device]),
      outDir: dir,
      cloudPassword: CLOUD_PASSWORD,
      listener: { port, host: "127.0.0.1" },
    });
    expect(res.devices).toEqual(["dev_a", "dev_b"]);
    chmodSync(res.files.passwd, 0o644);
    chmodSync(join(dir, "data"), 0o777);
    mosquitto = spawnChild("mosquitto", ["-c", res.files.conf]);
    cloud = new CloudMqttClient({ url: `mqtt://127.0.0.1:${port}`, password: CLOUD_PASSWORD, clock: new SystemClock(), log: silentLog, reconnectPeriodMs: 100, connectTimeoutMs: 10_000 });
    presence = new Presence({ clock: new SystemClock(), log: silentLog });
    cloud.on("status", (id, p, meta) => presence.onStatus(id, p, meta));
    for (const kind of ["status", "events", "telemetry"] as const) cloud.on(kind, (deviceId, payload) => void inbox.push({ kind, deviceId, payload }));
    await cloud.start(); // retries until mosquitto listens
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    inbox.length = 0;
  });

  afterAll(async () => {
    await cloud?.close();
    if (mosquitto) await stopProcess(mosquitto, 3000);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function device(id: string, token: string, opts: IClientOptions = {}): Promise<MqttClient> {
    const c = await connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: id, username: id, password: token, reconnectPeriod: 0, connectTimeout: 3000, ...opts });
    clients.push(c);
    return c;
  }

  it("a device logs in with its token; a wrong or another device's token is refused", async () => {
    const a = await device("dev_a", A.token);
    expect(a.connected).toBe(true);
    for (const token of ["wrong", B.token]) {
      const err = await device("dev_a", token).then(() => undefined, (e: unknown) => e as { code?: number });
      expect([4, 5]).toContain(err?.code);
    }
  });

  it("the cloud receives a device's status and events, and presence follows", async () => {
    const a = await device("dev_a", A.token);
    await a.publishAsync("loa/v1/dev/dev_a/status", encodePayload("status", birth), { qos: 1, retain: true });
    await a.publishAsync("loa/v1/dev/dev_a/events", encodePayload("events", examples.events), { qos: 1 });
    await until("status and events", () => inbox.length === 2, 5000, 10);
    expect(inbox).toEqual([
      { kind: "status", deviceId: "dev_a", payload: birth },
      { kind: "events", deviceId: "dev_a", payload: examples.events },
    ]);
    expect(presence.snapshot("dev_a")).toMatchObject({ online: true, bootId: "boot_ext" });
  });

  it("a device's publish to another device's topic never reaches the cloud", async () => {
    // Mosquitto 2.0.11 answers a denied QoS 1 publish with a v5-style PUBACK that a 3.1.1 client treats as a
    // protocol error and drops the connection; the forged messages are sent without waiting for that.
    const a = await device("dev_a", A.token);
    const forged: PayloadOf<"events"> = { seq: 500, events: [{ seq: 500, ts: 1, type: "plan_applied", version: 9 }] };
    a.publish("loa/v1/dev/dev_b/status", encodePayload("status", birth), { qos: 0, retain: true });
    a.publish("loa/v1/dev/dev_b/events", encodePayload("events", forged), { qos: 1 });
    await new Promise((r) => setTimeout(r, 100));
    const b = await device("dev_b", B.token);
    await b.publishAsync("loa/v1/dev/dev_b/events", encodePayload("events", examples.events), { qos: 1 }); // sentinel
    await until("the sentinel", () => inbox.length >= 1, 5000, 10);
    await new Promise((r) => setTimeout(r, 100));
    expect(inbox).toEqual([{ kind: "events", deviceId: "dev_b", payload: examples.events }]);
    expect(presence.snapshot("dev_b")).toBeUndefined();
  });

  it("a device receives its own plan from the cloud but nothing of another device's, even subscribed to #", async () => {
    const a = await device("dev_a", A.token);
    const got: string[] = [];
    a.on("message", (topic, payload) => {
      if (payload.length > 0) got.push(`${topic} ${(JSON.parse(payload.toString()) as { version?: number }).version ?? ""}`);
    });
    await a.subscribeAsync(["#", "loa/v1/dev/dev_b/plan", "loa/v1/dev/+/cmd", "loa/v1/dev/dev_a/plan"], { qos: 1 });
    await cloud.publish("plan", "dev_b", { ...examples.plan, version: 1 });
    await cloud.publish("cmd", "dev_b", examples.cmd);
    await cloud.publish("plan", "dev_a", { ...examples.plan, version: 2 });
    await until("dev_a's plan", () => got.length >= 1, 5000, 10);
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual(["loa/v1/dev/dev_a/plan 2"]);
    await cloud.clearRetained("plan", "dev_a");
    await cloud.clearRetained("plan", "dev_b");
  });
});
