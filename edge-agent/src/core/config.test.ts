import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, ENV_VARS, envNameOf, loadConfig, parseConfig, parseSize } from "./config.js";

/** What POST /api/v1/devices returns as edgeConfig. */
const provisioned = {
  deviceId: "dev_3f9a1c2b7d4e",
  token: "tok_secret",
  mqttUrl: "mqtt://loa.example:1883",
  prefix: "loa/v1",
  profile: "loa-amp-v1",
  tz: "Asia/Ho_Chi_Minh",
};

function issuesOf(fn: () => unknown): { key: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error("expected a ConfigError");
}

describe("parseConfig", () => {
  it("accepts the provisioning edge.json alone and fills every default", () => {
    const { config, warnings } = parseConfig(provisioned, {}, { baseDir: "/etc/loa" });
    expect(warnings).toEqual([]);
    expect(config).toEqual({
      ...provisioned,
      dataDir: "/var/lib/loa",
      amp: { transport: "serial", port: "/dev/ttyUSB0", profile: "loa-amp-v1", unitId: 1, baud: 9600 },
      sink: { type: "alsa", fileDir: "/var/lib/loa/capture" },
      defaultVolume: 70,
      idleOffS: 60,
      telemetryIntervalS: 30,
      graceS: 60,
      cacheMaxBytes: 512 * 1024 * 1024,
      outboxMaxEvents: 10_000,
      reconnect: { minMs: 1000, maxMs: 60_000, stableMs: 30_000 },
      timeSyncIntervalS: 600,
      logLevel: "info",
    });
  });

  it("lists every error at once, each with its key", () => {
    const issues = issuesOf(() =>
      parseConfig({
        deviceId: "bad/id",
        mqttUrl: "http://x",
        defaultVolume: 150,
        idleOffS: "soon",
        amp: { transport: "usb", unitId: 0 },
        sink: "speaker",
        reconnect: { minMs: 5000, maxMs: 1000 },
        logLevel: "loud",
        tz: "Mars/Base",
        cacheMaxBytes: "lots",
      }),
    );
    const byKey = Object.fromEntries(issues.map((i) => [i.key, i.message]));
    expect(byKey).toMatchObject({
      token: "required: the device token from provisioning",
      mqttUrl: "expected a URL like mqtt://host:1883",
      defaultVolume: "must be at most 100",
      idleOffS: "expected a whole number",
      "amp.transport": "expected serial or none",
      "amp.unitId": "must be at least 1",
      "sink.type": "expected alsa, file or null",
      "reconnect.maxMs": "minMs must not exceed maxMs",
      logLevel: "expected one of fatal, error, warn, info, debug, trace, silent",
      tz: "expected an IANA time zone like Asia/Ho_Chi_Minh",
      cacheMaxBytes: "expected a whole number",
    });
    expect(byKey.deviceId).toMatch(/A-Za-z0-9_-/);
    expect(issues.length).toBeGreaterThanOrEqual(12);
  });

  it("puts every issue in the error message, one line each", () => {
    try {
      parseConfig({ ...provisioned, mqttUrl: "nope", defaultVolume: -1 });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toBe(
        "invalid configuration (edge.json):\n  mqttUrl: expected a URL like mqtt://host:1883\n  defaultVolume: must be at least 0",
      );
      expect((err as ConfigError).code).toBe("config_invalid");
    }
  });

  it("environment variables override the file, numbers converted, and errors name the variable", () => {
    const env = {
      LOA_EDGE_MQTT_URL: "mqtts://broker.example:8883",
      LOA_EDGE_DEFAULT_VOLUME: "55",
      LOA_EDGE_RECONNECT_MIN_MS: "2000",
      LOA_EDGE_SINK: "file",
      LOA_EDGE_SINK_FILE_DIR: "capture-here",
      LOA_EDGE_AMP_TRANSPORT: "none",
      LOA_EDGE_CACHE_MAX_BYTES: "1GiB",
      LOA_EDGE_DATA_DIR: "data",
      PATH: "/usr/bin",
    };
    const { config } = parseConfig({ ...provisioned, defaultVolume: 80, sink: "alsa" }, env, { baseDir: "/etc/loa" });
    expect(config.mqttUrl).toBe("mqtts://broker.example:8883");
    expect(config.defaultVolume).toBe(55);
    expect(config.reconnect).toEqual({ minMs: 2000, maxMs: 60_000, stableMs: 30_000 });
    expect(config.sink).toEqual({ type: "file", fileDir: "/etc/loa/capture-here" });
    expect(config.amp.transport).toBe("none");
    expect(config.cacheMaxBytes).toBe(1024 ** 3);
    expect(config.dataDir).toBe("/etc/loa/data");

    const issues = issuesOf(() => parseConfig(provisioned, { LOA_EDGE_DEFAULT_VOLUME: "loud", LOA_EDGE_TELEMETRY_INTERVAL_S: "1" }));
    expect(issues).toEqual([
      { key: "defaultVolume (LOA_EDGE_DEFAULT_VOLUME)", message: "expected a whole number" },
      { key: "telemetryIntervalS (LOA_EDGE_TELEMETRY_INTERVAL_S)", message: "must be at least 5" },
    ]);
  });

  it("can be configured from the environment alone", () => {
    const { config } = parseConfig({}, { LOA_EDGE_DEVICE_ID: "dev_a", LOA_EDGE_TOKEN: "t", LOA_EDGE_MQTT_URL: "mqtt://127.0.0.1:1883" });
    expect(config).toMatchObject({ deviceId: "dev_a", token: "t", prefix: "loa/v1", profile: "loa-amp-v1" });
  });

  it("serialPort is a shorthand for amp.port; amp.profile overrides the provisioned profile", () => {
    const { config } = parseConfig({ ...provisioned, serialPort: "/dev/ttyAMA0", amp: { profile: "relay-board-v1", baud: 19200 } });
    expect(config.amp).toEqual({ transport: "serial", port: "/dev/ttyAMA0", profile: "relay-board-v1", unitId: 1, baud: 19200 });
    expect(config.profile).toBe("relay-board-v1");
    const issues = issuesOf(() => parseConfig({ ...provisioned, serialPort: "/dev/a", amp: { port: "/dev/b" } }));
    expect(issues).toEqual([{ key: "serialPort", message: "conflicts with amp.port (/dev/b); give one of them" }]);
  });

  it("warns about unknown keys and variables instead of failing", () => {
    const { warnings } = parseConfig({ ...provisioned, defualtVolume: 3, amp: { prot: "x" } }, { LOA_EDGE_VOLUME: "3" });
    expect(warnings).toEqual(["unknown key defualtVolume ignored", "unknown key amp.prot ignored", "unknown environment variable LOA_EDGE_VOLUME ignored"]);
  });

  it("refuses a non-object document", () => {
    expect(issuesOf(() => parseConfig([1, 2]))).toEqual([{ key: "(root)", message: "expected a JSON object" }]);
  });
});

describe("env names and sizes", () => {
  it("derives LOA_EDGE_<KEY> names from the setting paths", () => {
    expect(envNameOf("mqttUrl")).toBe("LOA_EDGE_MQTT_URL");
    expect(envNameOf("reconnect.stableMs")).toBe("LOA_EDGE_RECONNECT_STABLE_MS");
    expect(envNameOf("sink.type")).toBe("LOA_EDGE_SINK");
    expect(envNameOf("idleOffS")).toBe("LOA_EDGE_IDLE_OFF_S");
    expect(ENV_VARS.get("LOA_EDGE_AMP_UNIT_ID")).toBe("amp.unitId");
    expect(ENV_VARS.size).toBe(27);
  });

  it("parses byte sizes with units", () => {
    expect(parseSize("512MiB")).toBe(512 * 1024 * 1024);
    expect(parseSize("2 GB")).toBe(2e9);
    expect(parseSize("1.5k")).toBe(1500);
    expect(parseSize("12")).toBe(12);
    expect(parseSize("12 parsecs")).toBe("12 parsecs");
    expect(parseSize(7)).toBe(7);
  });
});

describe("loadConfig", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("reads edge.json (BOM tolerated), resolving relative paths against its directory", async () => {
    dir = await mkdtemp(join(tmpdir(), "loa-config-"));
    const path = join(dir, "edge.json");
    await writeFile(path, `\uFEFF${JSON.stringify({ ...provisioned, dataDir: "state" })}`);
    const { config } = await loadConfig(path, { LOA_EDGE_LOG_LEVEL: "debug" });
    expect(config.dataDir).toBe(join(dir, "state"));
    expect(config.logLevel).toBe("debug");
  });

  it("names the file when it is missing or not JSON", async () => {
    dir = await mkdtemp(join(tmpdir(), "loa-config-"));
    const path = join(dir, "edge.json");
    await expect(loadConfig(path, {})).rejects.toMatchObject({ code: "config_unreadable", issues: [{ key: "(file)", message: "cannot read: ENOENT" }] });
    await writeFile(path, "{ nope");
    await expect(loadConfig(path, {})).rejects.toMatchObject({ code: "config_invalid", message: expect.stringContaining(path) as unknown });
  });
});
