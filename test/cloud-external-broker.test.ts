/**
 * `loa-cloud` itself against a real Mosquitto (ARCHITECTURE §4 "both modes are tested; the external one
 * against a real Mosquitto"; docs/cloud.md "External broker"): the compiled binary with MQTT_URL, the broker's
 * files from `loa-cloud export-mosquitto`, a receiver provisioned over REST and logged in with its token.
 * The order is the one docs/cloud.md gives an operator: the cloud's first start creates the catalogue (it
 * waits for the broker meanwhile), export, run Mosquitto; after provisioning, export again and SIGHUP it.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTopics, encodePayload, examples, type DeviceView, type PayloadOf, type StatusBirth } from "@loa/shared";
import { CLOUD_PASSWORD } from "../cloud/src/broker/test-kit.fixture.js";
import { listeningPorts, runCloud, waitFor, waitForReady, type ReadyLine } from "./support/cloud-process.js";
import { ensureBuilt, freePort, killProcess, spawnChild, stopProcess, type ChildRun } from "./support/processes.js";
import { loginCookie, sessionRequest, type SessionReply } from "./support/login.js";
import { requireTool } from "./support/tools.js";

const ADMIN_PASSWORD = "mat-khau-admin-ngoai-1";
const topics = createTopics();

describe.skipIf(!requireTool("mosquitto"))("loa-cloud with MQTT_URL and a real Mosquitto", () => {
  let dir = "";
  let port = 0;
  let mosquitto: ChildRun | undefined;
  let cloud: ReturnType<typeof runCloud> | undefined;
  let ready: ReadyLine;
  let admin = "";
  let deviceId = "";
  let token = "";
  let device: MqttClient | undefined;
  const acks: number[] = [];
  const dataDir = () => join(dir, "data");
  const brokerDir = () => join(dir, "mosquitto");

  const api = <T>(method: string, path: string, body?: unknown): Promise<SessionReply<T>> => sessionRequest<T>(ready.httpUrl, admin, method, path, body);

  /** `loa-cloud export-mosquitto` on the data dir, as docs/cloud.md step 2; the files readable by mosquitto's user. */
  async function exportFiles(): Promise<string> {
    const run = runCloud({ LOA_DATA_DIR: dataDir(), LOA_MQTT_CLOUD_PASSWORD: CLOUD_PASSWORD }, ["export-mosquitto", "--out", brokerDir(), "--listen-port", String(port), "--listen-host", "127.0.0.1"]);
    const code = await run.exited;
    if (code !== 0) throw new Error(`export-mosquitto exited ${code}: ${run.stdout()} ${run.stderr()}`);
    // Mosquitto started as root drops to its own user and must still read the files (docs/cloud.md step 3).
    chmodSync(brokerDir(), 0o755);
    chmodSync(join(brokerDir(), "passwd"), 0o644);
    chmodSync(join(brokerDir(), "data"), 0o777);
    return run.stdout();
  }

  function startMosquitto(): void {
    mosquitto = spawnChild("mosquitto", ["-c", join(brokerDir(), "mosquitto.conf")]);
  }

  async function deviceState(): Promise<DeviceView | undefined> {
    const list = await api<{ items: DeviceView[] }>("GET", "/api/v1/devices");
    return list.json.items.find((d) => d.id === deviceId);
  }

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), "loa-cloud-ext-"));
    chmodSync(dir, 0o755);
    port = await freePort();
    cloud = runCloud({ LOA_HOST: "127.0.0.1", LOA_HTTP_PORT: "0", LOA_DATA_DIR: dataDir(), LOA_ADMIN_PASSWORD: ADMIN_PASSWORD, MQTT_URL: `mqtt://127.0.0.1:${port}`, LOA_MQTT_CLOUD_PASSWORD: CLOUD_PASSWORD });
    // The first start writes the catalogue, then keeps retrying the broker that is not there yet.
    await waitFor(() => (existsSync(join(dataDir(), "catalog.json")) ? true : undefined), "the catalogue of the first start", 15_000);
    const out = await exportFiles();
    expect(out).toContain("0 device(s) in the password file.");
    startMosquitto();
    ready = await waitForReady(cloud, 30_000);
    admin = await loginCookie(ready.httpUrl, "admin", ADMIN_PASSWORD);
  }, 60_000);

  afterAll(async () => {
    await device?.endAsync(true).catch(() => undefined);
    if (cloud) await stopProcess(cloud);
    if (mosquitto) await stopProcess(mosquitto, 3000);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("runs no broker of its own: the ready line says external and its only listening port is HTTP", async () => {
    expect([ready.mqtt, ready.ws]).toEqual(["external", "off"]);
    const pid = cloud?.proc.pid ?? 0;
    expect(listeningPorts(pid)).toEqual([Number(new URL(ready.httpUrl).port)]);
    const health = await api<{ ok: boolean; checks: Record<string, { ok: boolean; detail?: string }> }>("GET", "/healthz");
    expect(health.json).toMatchObject({ ok: true, checks: { broker: { ok: true, detail: "external (MQTT_URL)" }, mqtt: { ok: true } } });
    // The exported broker never silently drops queued QoS 1 messages (its default caps at 1000).
    expect(readFileSync(join(brokerDir(), "mosquitto.conf"), "utf8")).toMatch(/^max_queued_messages 0$/m);
  });

  it("provisions a receiver over REST; after export and SIGHUP it logs in with its token, a wrong one is refused", async () => {
    const me = await api<{ user: { areaId: string } }>("GET", "/api/v1/me");
    const commune = await api<{ id: string }>("POST", "/api/v1/areas", { name: "Xã Ngoài", parentId: me.json.user.areaId, kind: "commune" });
    const created = await api<{ device: { id: string }; token: string; edgeConfig: { mqttUrl: string } }>("POST", "/api/v1/devices", { name: "Loa ngoài 1", areaId: commune.json.id });
    expect(created.status).toBe(201);
    ({ token } = created.json);
    deviceId = created.json.device.id;
    expect(created.json.edgeConfig.mqttUrl).toBe(`mqtt://127.0.0.1:${port}`);
    expect(await exportFiles()).toContain("1 device(s) in the password file.");
    mosquitto?.proc.kill("SIGHUP");
    // Mosquitto re-reads passwd on SIGHUP in its own time: retry a one-shot login until it takes the token.
    await waitFor(async () => {
      const probe = await connectAsync(`mqtt://127.0.0.1:${port}`, { username: deviceId, password: token, reconnectPeriod: 0, connectTimeout: 2000 }).catch(() => undefined);
      await probe?.endAsync(true);
      return probe ? true : undefined;
    }, "mosquitto to take the new device's token");
    for (const wrong of [`${token}x`, "wrong"]) {
      const err = await connectAsync(`mqtt://127.0.0.1:${port}`, { username: deviceId, password: wrong, reconnectPeriod: 0, connectTimeout: 2000 }).then(
        async (c) => (await c.endAsync(true), undefined),
        (e: unknown) => e as { code?: number },
      );
      expect([4, 5]).toContain(err?.code); // CONNACK bad user name or password / not authorized
    }
  });

  it("the device goes online, its telemetry and an amplifier fault show in GET /api/v1/devices, its events are acked", async () => {
    const birth: StatusBirth = { online: true, bootId: "boot_ext_1", agentVersion: "0.1.0", profile: "loa-amp-v1", startedAt: new Date().toISOString() };
    device = await connectAsync(`mqtt://127.0.0.1:${port}`, {
      username: deviceId,
      password: token,
      clientId: deviceId,
      reconnectPeriod: 300,
      will: { topic: topics.status(deviceId), payload: Buffer.from(JSON.stringify({ online: false, bootId: birth.bootId })), qos: 1, retain: true },
    });
    const dev = device;
    dev.on("message", (topic, payload) => void (topic === topics.ack(deviceId) ? acks.push((JSON.parse(payload.toString("utf8")) as { upToSeq: number }).upToSeq) : undefined));
    // What an edge agent does on every (re)connect: subscribe, then publish its birth.
    const hello = async (): Promise<void> => {
      await dev.subscribeAsync(topics.ack(deviceId), { qos: 1 });
      await dev.publishAsync(topics.status(deviceId), encodePayload("status", birth), { qos: 1, retain: true });
    };
    dev.on("connect", () => void hello().catch(() => undefined));
    await hello();
    await waitFor(async () => ((await deviceState())?.state === "online" ? true : undefined), "the device online over REST");
    await dev.publishAsync(topics.telemetry(deviceId), encodePayload("telemetry", { ...examples.telemetry, ts: Date.now(), cpuTempC: 47.5 }), { qos: 0 });
    const withTelemetry = await waitFor(async () => {
      const d = await deviceState();
      return d?.health.telemetry?.cpuTempC === 47.5 ? d : undefined;
    }, "the telemetry sample over REST");
    expect(withTelemetry.health).toMatchObject({ online: true, bootId: "boot_ext_1", telemetry: { amp: { volume: 80 } } });
    await sendEvents(dev, { seq: 1, events: [{ seq: 1, ts: Date.now(), type: "amp_fault", code: "over_temperature", detail: "82.0 °C" }] });
    const faulted = await waitFor(async () => {
      const d = await deviceState();
      return d?.state === "fault" ? d : undefined;
    }, "the amp_fault event over REST");
    expect(faulted.health.faults).toEqual([expect.objectContaining({ code: "over_temperature", detail: "82.0 °C" })]);
    await waitFor(() => (acks.includes(1) ? true : undefined), "the cloud's ack of seq 1");
  });

  it("Mosquitto killed and restarted: the cloud reconnects, the device is online again and its messages get through", async () => {
    const dev = device;
    if (!dev) throw new Error("no device from the previous test");
    if (mosquitto) await killProcess(mosquitto);
    await waitFor(async () => ((await api("GET", "/healthz")).status === 503 ? true : undefined), "healthz to report the lost MQTT connection");
    startMosquitto();
    await waitFor(async () => ((await api("GET", "/healthz")).status === 200 ? true : undefined), "the cloud to reconnect", 15_000);
    await waitFor(() => (dev.connected ? true : undefined), "the device to reconnect", 15_000);
    await waitFor(async () => ((await deviceState())?.health.online === true ? true : undefined), "the device online again over REST");
    // New messages after the restart reach the cloud (its subscriptions survived or were renewed).
    await sendEvents(dev, { seq: 2, events: [{ seq: 2, ts: Date.now(), type: "amp_recovered", code: "over_temperature" }] });
    const recovered = await waitFor(async () => {
      const d = await deviceState();
      return d?.state === "online" && d.health.faults.length === 0 ? d : undefined;
    }, "amp_recovered over REST", 10_000);
    expect(recovered.health.online).toBe(true);
    await waitFor(() => (acks.includes(2) ? true : undefined), "the cloud's ack of seq 2");
  }, 60_000);
});

async function sendEvents(dev: MqttClient, batch: PayloadOf<"events">): Promise<void> {
  await dev.publishAsync(topics.events(dev.options.username ?? ""), encodePayload("events", batch), { qos: 1 });
}
