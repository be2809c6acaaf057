/**
 * `loa-edge --config edge.json` (ARCHITECTURE §9): load the configuration, build the receiver from real
 * adapters (wiring.ts), run it until SIGTERM/SIGINT. Exit codes: 0 after a clean stop, 75 for the `reboot`
 * command (systemd restarts the agent), 78 for a bad configuration, 1 for a fatal error.
 */
import { errorMessage } from "@loa/shared";
import { pino, type Logger } from "pino";
import { ConfigError, loadConfig } from "./core/config.js";
import { agentVersion, buildEdge, type EdgeRuntime } from "./wiring.js";

const EXIT_CONFIG = 78;
/** systemd gives TimeoutStopSec=20: finish well before it kills us. */
const STOP_TIMEOUT_MS = 15_000;

/** Set once a stop began; the process exits at its end. */
let leaving: Promise<void> | undefined;

const USAGE = `usage: loa-edge --config /etc/loa/edge.json

Runs a Loa receiver. Every setting can also come from a LOA_EDGE_* environment variable (docs/receiver.md).`;

function configPath(argv: readonly string[]): string | undefined {
  const i = argv.findIndex((a) => a === "--config" || a === "-c");
  if (i >= 0) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith("--config="));
  return eq?.slice("--config=".length);
}

async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return;
  }
  if (argv.includes("--version")) {
    console.log(agentVersion());
    return;
  }
  let loaded;
  try {
    loaded = await loadConfig(configPath(argv));
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `cannot load the configuration: ${errorMessage(err)}`);
    process.exit(EXIT_CONFIG);
  }
  const { config, warnings } = loaded;
  const log = pino({ level: config.logLevel, base: { deviceId: config.deviceId } });
  for (const w of warnings) log.warn(w);
  let runtime: EdgeRuntime | undefined;
  const leave = (code: number): Promise<void> => shutdown(runtime, log, code);
  // Before anything is built: a SIGTERM during start still gets the safe stop (Agent.stop waits for start).
  process.once("SIGTERM", () => void leave(0));
  process.once("SIGINT", () => void leave(0));
  process.on("unhandledRejection", (err) => log.error({ err: errorMessage(err) }, "unhandled rejection (kept running)"));
  process.on("uncaughtException", (err) => {
    log.fatal({ err: errorMessage(err), stack: err.stack }, "uncaught exception: stopping");
    void leave(1);
  });
  runtime = await buildEdge(config, { log, exit: leave });
  if (leaving) return;
  await runtime.start().catch((err: unknown) => {
    log.fatal({ err: errorMessage(err) }, "agent failed to start");
    return leave(1);
  });
}

/** Safe stop (playback off, amplifier ramped down, muted, off; outbox on disk; offline status), then exit. */
function shutdown(runtime: EdgeRuntime | undefined, log: Logger, code: number): Promise<void> {
  leaving ??= (async () => {
    log.info({ code }, "stopping");
    const timer = setTimeout(() => {
      log.error("stop took too long: exiting anyway");
      process.exit(code === 0 ? 1 : code);
    }, STOP_TIMEOUT_MS);
    try {
      await runtime?.stop();
    } catch (err) {
      log.error({ err: errorMessage(err) }, "stop failed");
    }
    clearTimeout(timer);
    log.flush();
    process.exit(code);
  })();
  return leaving;
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`loa-edge: ${errorMessage(err)}`);
  process.exit(1);
});
