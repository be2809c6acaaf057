// `loa-sim fleet` arguments, usage and the dispatch table entry.
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { dispatch } from "../cli/dispatch.js";
import { CliUsageError } from "../cli/io.js";
import { FLEET_USAGE, parseFleetArgs } from "./cli.js";

const REQUIRED = ["--cloud", "http://localhost:8080", "--api-token", "loa_x", "--count", "5"];

describe("parseFleetArgs", () => {
  it("reads every option", () => {
    const o = parseFleetArgs([
      ...REQUIRED, "--area", "v1", "--area", "v2", "--capture", "cap", "--state", "s.json", "--data", "d", "--control-port", "0",
      "--jitter-ms", "100", "--mqtt-url", "mqtt://127.0.0.1:1883", "--profile", "relay-board-v1", "--amp-poll-s", "5", "--telemetry-s", "10", "--log-level", "info",
    ]);
    expect(o).toEqual({
      cloud: "http://localhost:8080", apiToken: "loa_x", count: 5, areaIds: ["v1", "v2"], capture: "cap", statePath: "s.json", dataDir: "d",
      controlPort: 0, jitterMs: 100, mqttUrl: "mqtt://127.0.0.1:1883", profile: "relay-board-v1",
      agent: { ampPollMs: 5000, telemetryIntervalS: 10 }, logLevel: "info",
    });
  });

  it("takes the token from LOA_API_TOKEN and has light defaults", () => {
    expect(parseFleetArgs(["--cloud", "http://c:1", "--count", "1000"], { LOA_API_TOKEN: "loa_env" })).toEqual({
      cloud: "http://c:1", apiToken: "loa_env", count: 1000, agent: {}, logLevel: "warn",
    });
    expect(parseFleetArgs(["--help"])).toBe("help");
  });

  it("lists every missing or bad required option at once", () => {
    let message = "";
    try {
      parseFleetArgs(["--cloud", "ftp://x", "--mqtt-url", "ws://x"]);
    } catch (err) {
      expect(err).toBeInstanceOf(CliUsageError);
      message = (err as Error).message;
    }
    expect(message.split("\n")).toEqual([
      "--cloud must be an http(s) URL like http://localhost:8080",
      "--api-token (or LOA_API_TOKEN) is required",
      "--count N is required",
      "--mqtt-url must be mqtt://host:port",
    ]);
  });

  it.each([
    [["--count", "0"], /--count must be a whole number from 1/],
    [["--count", "2.5"], /--count must be a whole number/],
    [["--telemetry-s", "1"], /--telemetry-s must be a whole number from 5/],
    [["--control-port", "70000"], /--control-port/],
  ])("refuses %j", (extra, message) => {
    expect(() => parseFleetArgs([...REQUIRED, ...extra])).toThrow(message);
  });
});

describe("loa-sim fleet", () => {
  it("is in the subcommand table, with its usage on --help and exit 2 on bad options", async () => {
    const io = () => ({ stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() });
    const help = io();
    expect(await dispatch(["fleet", "--help"], help)).toBe(0);
    expect(String(help.stdout.read())).toBe(`${FLEET_USAGE}\n`);
    const bad = io();
    expect(await dispatch(["fleet", "--count", "3"], bad)).toBe(2);
    expect(String(bad.stderr.read())).toMatch(/--cloud must be/);
    const list = io();
    await dispatch(["help"], list);
    expect(String(list.stdout.read())).toMatch(/fleet {3}N simulated receivers/);
  });
});
