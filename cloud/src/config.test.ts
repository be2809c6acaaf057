import { describe, expect, it } from "vitest";
import { hostname } from "node:os";
import { CloudConfigError, loadCloudConfig, publicMqttUrlOf, SETTINGS } from "./config.js";

function issuesOf(fn: () => unknown): Array<{ key: string; message: string }> {
  try {
    fn();
  } catch (err) {
    if (err instanceof CloudConfigError) return err.issues;
    throw err;
  }
  throw new Error("expected a CloudConfigError");
}

describe("loadCloudConfig (ARCHITECTURE §7 settings)", () => {
  it("defaults", () => {
    const c = loadCloudConfig({ env: {}, cwd: "/srv/loa" });
    expect(c).toEqual({
      httpPort: 8080,
      host: "0.0.0.0",
      mqttPort: 1883,
      mqttWsPort: 9001,
      dataDir: "/srv/loa/data",
      mqttUrl: null,
      mqttCloudPassword: null,
      mqttPrefix: "loa/v1",
      adminPassword: null,
      tz: "Asia/Ho_Chi_Minh",
      publicMqttUrl: null,
      maxUploadMb: 50,
      maxDurationS: 1800,
      commandTtlS: 120,
      trustProxy: false,
      logLevel: "info",
    });
  });

  it("reads the environment; a flag of the same meaning wins over it", () => {
    const c = loadCloudConfig({
      env: { LOA_HTTP_PORT: "9000", LOA_MQTT_PORT: "0", LOA_MQTT_WS_PORT: "off", LOA_DATA_DIR: "/var/lib/loa", LOA_TZ: "Europe/Berlin", LOA_LOG_LEVEL: "debug", LOA_TRUST_PROXY: "1" },
      flags: { "--http-port": "7000", "--mqtt-ws-port": "0" },
    });
    expect(c).toMatchObject({ httpPort: 7000, mqttPort: 0, mqttWsPort: 0, dataDir: "/var/lib/loa", tz: "Europe/Berlin", logLevel: "debug", trustProxy: 1 });
  });

  it("an external broker needs the cloud's password; nothing else then", () => {
    const c = loadCloudConfig({ env: { MQTT_URL: "mqtt://broker.example.vn:1883", LOA_MQTT_CLOUD_PASSWORD: "a-long-enough-secret" } });
    expect(c).toMatchObject({ mqttUrl: "mqtt://broker.example.vn:1883", mqttCloudPassword: "a-long-enough-secret" });
    expect(issuesOf(() => loadCloudConfig({ env: { MQTT_URL: "mqtt://broker:1883" } }))).toEqual([
      { key: "LOA_MQTT_CLOUD_PASSWORD / --mqtt-cloud-password", message: expect.stringContaining("required with an external broker (MQTT_URL)") },
    ]);
  });

  it("lists every problem at once, each under the variable or flag it came from", () => {
    const issues = issuesOf(() =>
      loadCloudConfig({
        env: { LOA_HTTP_PORT: "abc", LOA_MQTT_PORT: "70000", LOA_TZ: "Mars/Olympus", LOA_LOG_LEVEL: "loud", MQTT_URL: "http://x", LOA_ADMIN_PASSWORD: "short" },
        flags: { "--max-upload-mb": "0" },
      }),
    );
    expect(issues.map((i) => i.key).sort()).toEqual(["--max-upload-mb", "LOA_ADMIN_PASSWORD", "LOA_HTTP_PORT", "LOA_LOG_LEVEL", "LOA_MQTT_PORT", "LOA_TZ", "MQTT_URL"]);
    expect(issues.find((i) => i.key === "LOA_HTTP_PORT")?.message).toBe("expected a port number 0-65535");
    expect(issues.find((i) => i.key === "LOA_MQTT_PORT")?.message).toBe("must be at most 65535");
  });

  it("the error message names every key", () => {
    try {
      loadCloudConfig({ env: { LOA_HTTP_PORT: "abc", MQTT_URL: "mqtt://b:1883" } });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CloudConfigError);
      expect((err as Error).message).toMatch(/LOA_HTTP_PORT: expected a port number/);
      expect((err as Error).message).toMatch(/LOA_MQTT_CLOUD_PASSWORD \/ --mqtt-cloud-password: required/);
    }
  });

  it("refuses two listeners on one port, except 0", () => {
    expect(issuesOf(() => loadCloudConfig({ env: { LOA_HTTP_PORT: "1883" } }))).toEqual([{ key: "LOA_MQTT_PORT / --mqtt-port", message: "port 1883 is already used by LOA_HTTP_PORT" }]);
    expect(loadCloudConfig({ env: { LOA_HTTP_PORT: "0", LOA_MQTT_PORT: "0", LOA_MQTT_WS_PORT: "0" } }).httpPort).toBe(0);
  });

  it("every setting has a distinct variable and flag", () => {
    expect(new Set(SETTINGS.map((s) => s.env)).size).toBe(SETTINGS.length);
    expect(new Set(SETTINGS.map((s) => s.flag)).size).toBe(SETTINGS.length);
  });
});

describe("publicMqttUrlOf", () => {
  const base = loadCloudConfig({ env: {} });
  it("is the configured one, else the external broker without credentials, else host and bound port", () => {
    expect(publicMqttUrlOf({ ...base, publicMqttUrl: "mqtts://loa.example.vn:8883" }, 1883)).toBe("mqtts://loa.example.vn:8883");
    expect(publicMqttUrlOf({ ...base, mqttUrl: "mqtt://loa-cloud:secret@broker.example.vn:1883" }, undefined)).toBe("mqtt://broker.example.vn:1883");
    expect(publicMqttUrlOf({ ...base, host: "10.1.2.3" }, 41883)).toBe("mqtt://10.1.2.3:41883");
    expect(publicMqttUrlOf(base, 1883)).toBe(`mqtt://${hostname()}:1883`);
  });
});
