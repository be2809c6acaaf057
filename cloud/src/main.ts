/**
 * `loa-cloud` (ARCHITECTURE §9; `npm start` runs it): parse the command line and settings, start the whole
 * cloud (server/start-cloud.ts), print the first admin's password once and a parseable ready line, and
 * shut down in order on SIGINT/SIGTERM (exit 0). Bad settings exit 2 listing every problem with its key.
 *
 * Ready line (stdout, one line): `loa-cloud ready http=<url> mqtt=<port|external> ws=<port|off> data=<dir>`.
 */
import { readFileSync } from "node:fs";
import { errorMessage, isLoaError } from "@loa/shared";
import { helpText, parseCliArgs, type ParsedCli } from "./cli/args.js";
import { runExportMosquitto } from "./cli/export-command.js";
import { CloudConfigError, loadCloudConfig, type CloudConfig } from "./config.js";
import type { BootstrapResult } from "./core/auth/bootstrap.js";
import { startCloud, type RunningCloud } from "./server/start-cloud.js";

/** Longest a shutdown may take before the process exits anyway (a hung socket must not block a restart). */
const SHUTDOWN_LIMIT_MS = 10_000;

const out = (text: string): void => void process.stdout.write(text);
const err = (text: string): void => void process.stderr.write(text);

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string };
  return pkg.version ?? "unknown";
}

function adminNotice(admin: BootstrapResult): string {
  if (!admin.created) return "";
  const line = "=".repeat(72);
  if (!admin.generated) return `${line}\nFirst start: created user "${admin.username}" with the password from LOA_ADMIN_PASSWORD.\n${line}\n`;
  return [
    line,
    "First start: created the administrator account. Note the password now: it is shown only this once.",
    `  username: ${admin.username}`,
    `  password: ${admin.password}`,
    "Log in to the panel and change it (or set LOA_ADMIN_PASSWORD before the first start next time).",
    line,
    "",
  ].join("\n");
}

function readyLine(c: RunningCloud): string {
  const mqtt = c.broker ? String(c.mqttPort) : "external";
  const ws = c.wsPort !== undefined ? String(c.wsPort) : "off";
  return `loa-cloud ready http=${c.httpUrl} mqtt=${mqtt} ws=${ws} data=${c.config.dataDir}\n`;
}

function onSignals(cloud: RunningCloud): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second Ctrl-C: the operator does not want to wait.
      err(`loa-cloud: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    out(`loa-cloud: ${signal} received, shutting down\n`);
    const force = setTimeout(() => {
      err(`loa-cloud: shutdown took longer than ${SHUTDOWN_LIMIT_MS} ms; exiting anyway\n`);
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    cloud.close().then(
      () => {
        clearTimeout(force);
        out("loa-cloud: stopped\n");
        process.exit(0);
      },
      (e: unknown) => {
        err(`loa-cloud: shutdown failed: ${errorMessage(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

async function serve(config: CloudConfig): Promise<void> {
  const cloud = await startCloud(config);
  onSignals(cloud);
  out(adminNotice(cloud.admin));
  out(readyLine(cloud));
}

/** Command-line and setting problems together, so one run shows them all. */
function loadConfigWith(cli: ParsedCli): CloudConfig {
  try {
    const config = loadCloudConfig({ env: process.env, flags: cli.flags });
    if (cli.issues.length > 0) throw new CloudConfigError(cli.issues);
    return config;
  } catch (e) {
    if (e instanceof CloudConfigError && cli.issues.length > 0 && e.issues !== cli.issues) throw new CloudConfigError([...cli.issues, ...e.issues]);
    throw e;
  }
}

async function run(cli: ParsedCli): Promise<number | undefined> {
  if (cli.command === "help") return out(helpText()), 0;
  if (cli.command === "version") return out(`${version()}\n`), 0;
  const config = loadConfigWith(cli);
  if (cli.command === "export-mosquitto") {
    await runExportMosquitto(config, cli.options, { out });
    return 0;
  }
  await serve(config);
  return undefined; // keeps running until a signal
}

try {
  const code = await run(parseCliArgs(process.argv.slice(2)));
  if (code !== undefined) process.exitCode = code;
} catch (e) {
  if (e instanceof CloudConfigError) {
    err(`loa-cloud: ${e.message}\n(see loa-cloud --help and docs/cloud.md)\n`);
    process.exit(2);
  }
  err(`loa-cloud: ${isLoaError(e) ? `${e.message} [${e.code}]` : errorMessage(e)}\n`);
  process.exit(1);
}
