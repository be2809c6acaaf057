import { describe, expect, it } from "vitest";
import { SETTINGS } from "../config.js";
import { helpText, parseCliArgs } from "./args.js";

describe("parseCliArgs (loa-cloud, ARCHITECTURE §9)", () => {
  it("serve is the default; setting flags take `--flag value` and `--flag=value`", () => {
    expect(parseCliArgs(["--http-port", "9000", "--data-dir=/srv/loa"])).toEqual({ command: "serve", flags: { "--http-port": "9000", "--data-dir": "/srv/loa" }, options: {}, issues: [] });
    expect(parseCliArgs(["serve", "--mqtt-ws-port=off"]).flags).toEqual({ "--mqtt-ws-port": "off" });
  });

  it("export-mosquitto takes its own flags beside the settings", () => {
    const p = parseCliArgs(["export-mosquitto", "--out", "/etc/mosquitto/loa", "--listen-port=1884", "--data-dir", "d"]);
    expect(p).toMatchObject({ command: "export-mosquitto", options: { "--out": "/etc/mosquitto/loa", "--listen-port": "1884" }, flags: { "--data-dir": "d" }, issues: [] });
    // ...which serve does not know.
    expect(parseCliArgs(["--out", "x"]).issues).toEqual([{ key: "--out", message: "unknown flag (see --help)" }]);
  });

  it("reports every problem at once: unknown command, unknown flag, missing value, stray argument", () => {
    expect(parseCliArgs(["start", "--bogus", "--http-port", "--tz"]).issues).toEqual([
      { key: "start", message: "unknown command; use serve, export-mosquitto or --help" },
      { key: "--bogus", message: "unknown flag (see --help)" },
      { key: "--http-port", message: "needs a value" },
      { key: "--tz", message: "needs a value" },
    ]);
    expect(parseCliArgs(["serve", "extra"]).issues).toEqual([{ key: "extra", message: "unexpected argument" }]);
  });

  it("--help and --version win", () => {
    expect(parseCliArgs(["--help"]).command).toBe("help");
    expect(parseCliArgs(["export-mosquitto", "-h"]).command).toBe("help");
    expect(parseCliArgs(["--version"]).command).toBe("version");
  });

  it("the help lists every setting with its variable and flag", () => {
    const text = helpText();
    for (const s of SETTINGS) expect(text).toContain(`${s.flag} / ${s.env}`);
    expect(text).toContain("export-mosquitto --out DIR");
  });
});
