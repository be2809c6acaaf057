import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, spawnChild, stopProcess, type ChildRun } from "../../../test/support/processes.js";
import { requireTool } from "../../../test/support/tools.js";
import { isAllowed, mosquittoAclText } from "./acl.js";
import { EXAMPLE_SHA256 as SHA } from "./examples.js";

/**
 * ARCHITECTURE §3 Auth / §4: the exported ACL, loaded into a real Mosquitto, lets a device receive and send
 * exactly what isAllowed permits. (Mosquitto's acl_file accepts any SUBSCRIBE and filters each delivered
 * message by `read` rules, so the check is on what arrives, with the device subscribed to `#`.)
 */
const A = "dev_a";
const B = "dev_b";
const CLOUD = "loa-cloud";

const CLOUD_PUBLISHES = [
  `loa/v1/dev/${A}/ack`,
  `loa/v1/dev/${A}/cmd`,
  `loa/v1/dev/${A}/time/res`,
  `loa/v1/dev/${A}/status`,
  `loa/v1/dev/${B}/plan`,
  `loa/v1/dev/${B}/cmd`,
  `loa/v1/media/${SHA}/0`,
  "loa/v1/other",
];
const DEVICE_PUBLISHES = [
  `loa/v1/dev/${A}/status`,
  `loa/v1/dev/${A}/telemetry`,
  `loa/v1/dev/${A}/cmd/res`,
  `loa/v1/dev/${A}/media/req`,
  `loa/v1/dev/${A}/time/req`,
  `loa/v1/dev/${A}/plan`,
  `loa/v1/dev/${A}/cmd`,
  `loa/v1/dev/${B}/status`,
  `loa/v1/dev/${B}/events`,
  `loa/v1/media/${SHA}/0`,
];
const DEVICE_SENTINEL = `loa/v1/dev/${A}/events`;
const CLOUD_SENTINEL = `loa/v1/dev/${A}/plan`;

/** Resolves with every topic received up to and including `sentinel`. */
function collectUntil(client: MqttClient, sentinel: string): Promise<string[]> {
  const seen: string[] = [];
  return new Promise((resolve) => {
    client.on("message", (topic) => {
      seen.push(topic);
      if (topic === sentinel) resolve(seen.slice());
    });
  });
}

describe.skipIf(!requireTool("mosquitto") || !requireTool("mosquitto_passwd"))("mosquitto with the exported ACL", () => {
  let dir = "";
  let broker: ChildRun | undefined;
  let port = 0;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "loa-acl-"));
    chmodSync(dir, 0o755); // mosquitto drops root privileges and must still read its files
    const passwd = join(dir, "passwd");
    writeFileSync(passwd, "");
    execFileSync("mosquitto_passwd", ["-b", passwd, A, "pa"]);
    execFileSync("mosquitto_passwd", ["-b", passwd, CLOUD, "pc"]);
    writeFileSync(join(dir, "acl"), mosquittoAclText());
    port = await freePort();
    const conf = [`listener ${port} 127.0.0.1`, "allow_anonymous false", `password_file ${passwd}`, `acl_file ${join(dir, "acl")}`];
    writeFileSync(join(dir, "conf"), `${conf.join("\n")}\n`);
    for (const f of ["passwd", "acl", "conf"]) chmodSync(join(dir, f), 0o644);
    broker = spawnChild("mosquitto", ["-c", join(dir, "conf")]);
    for (let i = 0; i < 50; i++) {
      try {
        const probe = await connectAsync(`mqtt://127.0.0.1:${port}`, { username: CLOUD, password: "pc", reconnectPeriod: 0 });
        await probe.endAsync();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error("mosquitto did not start");
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    if (broker) await stopProcess(broker, 3000);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function connect(username: string, password: string): Promise<MqttClient> {
    const c = await connectAsync(`mqtt://127.0.0.1:${port}`, { username, password, reconnectPeriod: 0, clean: true });
    clients.push(c);
    return c;
  }

  it("delivers and accepts exactly what isAllowed permits", async () => {
    const cloud = await connect(CLOUD, "pc");
    const device = await connect(A, "pa");
    await cloud.subscribeAsync("loa/v1/#", { qos: 1 });
    await device.subscribeAsync("#", { qos: 1 });

    const atCloud = collectUntil(cloud, DEVICE_SENTINEL);
    for (const t of [...DEVICE_PUBLISHES, DEVICE_SENTINEL]) await device.publishAsync(t, "x", { qos: 1 });
    const cloudGot = await atCloud;

    const atDevice = collectUntil(device, CLOUD_SENTINEL);
    for (const t of [...CLOUD_PUBLISHES, CLOUD_SENTINEL]) await cloud.publishAsync(t, "x", { qos: 1 });
    const deviceGot = await atDevice;

    expect(cloudGot).toEqual([...DEVICE_PUBLISHES, DEVICE_SENTINEL].filter((t) => isAllowed(A, "publish", t)));
    const deviceExpected = [...CLOUD_PUBLISHES, CLOUD_SENTINEL].filter((t) => isAllowed(A, "subscribe", t));
    expect(deviceGot).toEqual(deviceExpected);
    expect(deviceExpected).toEqual([`loa/v1/dev/${A}/ack`, `loa/v1/dev/${A}/cmd`, `loa/v1/dev/${A}/time/res`, `loa/v1/media/${SHA}/0`, CLOUD_SENTINEL]);
  }, 20_000);
});
