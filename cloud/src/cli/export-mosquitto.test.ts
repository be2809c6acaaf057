import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { mosquittoAclText } from "@loa/shared";
import { verifyMosquittoHash } from "../broker/mosquitto-passwd.js";
import { CLOUD_PASSWORD, catalogOf, deviceWithToken } from "../broker/test-kit.fixture.js";
import { exportMosquitto } from "./export-mosquitto.js";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "loa-export-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function passwdMap(text: string): Map<string, string> {
  return new Map(text.trim().split("\n").map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)]));
}

describe("exportMosquitto (ARCHITECTURE §3 Auth, §4)", () => {
  it("writes passwd from stored mqttHash and given tokens, acl from the shared rule, and a commented conf", async () => {
    const a = deviceWithToken("dev_a");
    const old = deviceWithToken("dev_old", { mqttHash: false });
    const given = deviceWithToken("dev_given", { mqttHash: false });
    const rogue = deviceWithToken("loa-cloud");
    const out = join(await tempDir(), "mqtt");
    const res = await exportMosquitto({
      catalog: catalogOf([a.device, old.device, given.device, rogue.device]),
      outDir: out,
      cloudPassword: CLOUD_PASSWORD,
      tokens: { dev_given: given.token },
      listener: { port: 18830, host: "127.0.0.1" },
      wsListener: { port: 18831 },
    });
    expect(res.devices).toEqual(["dev_a", "dev_given"]);
    expect(res.skipped).toEqual(["dev_old", "loa-cloud"]);

    const users = passwdMap(await readFile(res.files.passwd, "utf8"));
    expect([...users.keys()]).toEqual(["loa-cloud", "dev_a", "dev_given"]);
    expect(verifyMosquittoHash(users.get("loa-cloud") ?? "", CLOUD_PASSWORD)).toBe(true);
    expect(verifyMosquittoHash(users.get("dev_a") ?? "", a.token)).toBe(true);
    expect(verifyMosquittoHash(users.get("dev_given") ?? "", given.token)).toBe(true);
    expect(verifyMosquittoHash(users.get("loa-cloud") ?? "", rogue.token)).toBe(false);
    expect((await stat(res.files.passwd)).mode & 0o777).toBe(0o640);

    expect(await readFile(res.files.acl, "utf8")).toBe(mosquittoAclText());
    const conf = await readFile(res.files.conf, "utf8");
    const directives = conf.split("\n").filter((l) => l && !l.startsWith("#"));
    expect(directives).toEqual([
      "listener 18830 127.0.0.1",
      "listener 18831",
      "protocol websockets",
      "allow_anonymous false",
      `password_file ${res.files.passwd}`,
      `acl_file ${res.files.acl}`,
      "use_username_as_clientid true",
      "persistence true",
      `persistence_location ${join(out, "data")}/`,
      "autosave_interval 60",
      "persistent_client_expiration 14d",
      "max_queued_messages 0",
      "max_queued_bytes 0",
      "max_inflight_messages 100",
      "upgrade_outgoing_qos false",
      "queue_qos0_messages false",
      "max_packet_size 4194304",
    ]);
    expect((await stat(join(out, "data"))).isDirectory()).toBe(true);
  });

  it("uses the given prefix and cloud user in the ACL and passwd", async () => {
    const res = await exportMosquitto({ catalog: catalogOf([]), outDir: await tempDir(), cloudPassword: CLOUD_PASSWORD, prefix: "vn/loa", cloudUser: "cloud-x" });
    expect(await readFile(res.files.acl, "utf8")).toBe(mosquittoAclText({ prefix: "vn/loa", cloudUser: "cloud-x" }));
    expect([...passwdMap(await readFile(res.files.passwd, "utf8")).keys()]).toEqual(["cloud-x"]);
    expect(await readFile(res.files.conf, "utf8")).toContain("\nlistener 1883\n");
  });

  it("refuses a weak cloud password and writes nothing", async () => {
    const out = join(await tempDir(), "none");
    await expect(exportMosquitto({ catalog: catalogOf([]), outDir: out, cloudPassword: "short" })).rejects.toThrow(/16 characters/);
    await expect(stat(out)).rejects.toThrow();
  });
});
