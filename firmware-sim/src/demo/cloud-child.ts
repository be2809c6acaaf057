/**
 * The demo's cloud: `loa-cloud` (what `npm start` runs) as a child process, with its logs going to a file so
 * the terminal shows only the demo's story. It runs in its own process group: Ctrl-C reaches the demo only,
 * which stops the receivers first and then the cloud (a receiver that loses its cloud first would only log
 * reconnect attempts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { createServer } from "node:net";

export interface CloudChildOptions {
  /** cloud/bin/loa-cloud.js */
  bin: string;
  cwd: string;
  /** The environment of the child (LOA_* settings included). */
  env: NodeJS.ProcessEnv;
  /** The cloud's stdout and stderr are appended here. */
  logFile: string;
  /** Give up waiting for the ready line after this long (default 60 s). */
  readyTimeoutMs?: number;
}

export interface CloudChild {
  proc: ChildProcess;
  httpUrl: string;
  httpPort: number;
  /** The embedded broker's MQTT/TCP port. */
  mqttPort: number;
  /** Resolves with the exit code (null when ended by a signal). */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 15 s). */
  stop(graceMs?: number): Promise<void>;
}

const READY = /^loa-cloud ready http=(\S+) mqtt=(\d+) ws=(\S+) data=(.+)$/m;

/** True when nothing listens on `port` of `host`. */
export function isPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** `preferred` when free, else 0 (the cloud then takes any free port and says which). */
export async function portOrAny(preferred: number, host: string): Promise<number> {
  if (preferred === 0) return 0;
  return (await isPortFree(preferred, host)) ? preferred : 0;
}

export async function startCloudChild(o: CloudChildOptions): Promise<CloudChild> {
  const log = createWriteStream(o.logFile, { flags: "a" });
  await new Promise<void>((resolve, reject) => log.once("open", () => resolve()).once("error", reject));
  log.write(`\n----- ${new Date().toISOString()} demo starts loa-cloud -----\n`);
  const proc = spawn(process.execPath, [o.bin], { cwd: o.cwd, env: o.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const killOnExit = (): void => void proc.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  void exited.then(() => {
    process.off("exit", killOnExit);
    log.end();
  });
  let seen = "";
  proc.stdout?.on("data", (b: Buffer) => {
    log.write(b);
    if (seen.length < 64 * 1024) seen += b.toString("utf8");
  });
  proc.stderr?.on("data", (b: Buffer) => log.write(b));
  const ready = await waitReady(() => seen, exited, o.readyTimeoutMs ?? 60_000);
  if (!ready) {
    proc.kill("SIGKILL");
    const code = await exited;
    throw new Error(`loa-cloud did not start (exit ${code ?? "by signal"}); its log is in ${o.logFile}`);
  }
  const [, httpUrl = "", mqtt = "0"] = ready;
  const stop = async (graceMs = 15_000): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return { proc, httpUrl: httpUrl.replace("0.0.0.0", "localhost"), httpPort: Number(new URL(httpUrl).port), mqttPort: Number(mqtt), exited, stop };
}

/** The ready line's match, or undefined when the child exits or the time is up first. */
async function waitReady(text: () => string, exited: Promise<number | null>, timeoutMs: number): Promise<RegExpExecArray | undefined> {
  let gone = false;
  void exited.then(() => (gone = true));
  const end = Date.now() + timeoutMs;
  for (;;) {
    const m = READY.exec(text());
    if (m) return m;
    if (gone || Date.now() > end) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
