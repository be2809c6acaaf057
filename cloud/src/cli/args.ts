/**
 * `loa-cloud` command line (ARCHITECTURE §9): `loa-cloud [serve]`, `loa-cloud export-mosquitto --out DIR`,
 * `loa-cloud --help`. Every setting flag has the meaning of its environment variable (config.ts); flags
 * take `--flag value` or `--flag=value`. Every problem is reported at once, like config errors.
 */
import { SETTINGS, type ConfigIssue } from "../config.js";

export type CliCommand = "serve" | "export-mosquitto" | "help" | "version";

export interface ParsedCli {
  command: CliCommand;
  /** Setting flags (`--http-port` → "8080"). */
  flags: Record<string, string>;
  /** Flags of the subcommand (`--out` → "DIR"). */
  options: Record<string, string>;
  issues: ConfigIssue[];
}

/** Flags of `export-mosquitto` beside the settings. */
export const EXPORT_FLAGS: Readonly<Record<string, string>> = {
  "--out": "directory to write passwd, acl and mosquitto.conf into (required)",
  "--listen-port": "port Mosquitto listens on (default: LOA_MQTT_PORT, 1883)",
  "--listen-host": "address Mosquitto binds (default: all)",
  "--ws-port": "also a WebSocket listener on this port",
};

const COMMANDS: Readonly<Record<string, CliCommand>> = { serve: "serve", "export-mosquitto": "export-mosquitto", help: "help" };
const SETTING_FLAGS = new Set(SETTINGS.map((s) => s.flag));

export function parseCliArgs(argv: readonly string[]): ParsedCli {
  const out: ParsedCli = { command: "serve", flags: {}, options: {}, issues: [] };
  const args = [...argv];
  const first = args[0];
  if (first !== undefined && !first.startsWith("-")) {
    const cmd = COMMANDS[first];
    if (cmd) out.command = cmd;
    else out.issues.push({ key: first, message: `unknown command; use serve, export-mosquitto or --help` });
    args.shift();
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "--help" || arg === "-h") {
      out.command = "help";
      continue;
    }
    if (arg === "--version") {
      out.command = "version";
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const isSetting = SETTING_FLAGS.has(name);
    const isOption = out.command === "export-mosquitto" && name in EXPORT_FLAGS;
    if (!name.startsWith("--") || (!isSetting && !isOption)) {
      out.issues.push({ key: name, message: name.startsWith("-") ? "unknown flag (see --help)" : "unexpected argument" });
      // Its value, if it has one, is not a second problem.
      if (name.startsWith("-") && eq <= 0 && args[i + 1] !== undefined && !args[i + 1]?.startsWith("-")) i++;
      continue;
    }
    let value: string | undefined = eq > 0 ? arg.slice(eq + 1) : args[i + 1];
    if (eq <= 0) {
      if (value === undefined || value.startsWith("--")) value = undefined;
      else i++;
    }
    if (value === undefined) {
      out.issues.push({ key: name, message: "needs a value" });
      continue;
    }
    (isSetting ? out.flags : out.options)[name] = value;
  }
  return out;
}

export function helpText(): string {
  const pad = (s: string, n: number): string => s + " ".repeat(Math.max(1, n - s.length));
  const settings = SETTINGS.map((s) => `  ${pad(`${s.flag} / ${s.env}`, 52)}${s.help}`);
  const exportFlags = Object.entries(EXPORT_FLAGS).map(([f, h]) => `  ${pad(f, 52)}${h}`);
  return [
    "loa-cloud — the Loa control plane (panel, REST API, MQTT broker, scheduler)",
    "",
    "Usage:",
    "  loa-cloud [serve] [settings]                 run the cloud (npm start)",
    "  loa-cloud export-mosquitto --out DIR [...]   write passwd, acl and mosquitto.conf for an external broker",
    "  loa-cloud --help | --version",
    "",
    "Settings (a flag wins over its environment variable):",
    ...settings,
    "",
    "export-mosquitto:",
    ...exportFlags,
    "",
    "Docs: docs/cloud.md",
    "",
  ].join("\n");
}
