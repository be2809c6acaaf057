/**
 * Run the compiled `loa-cloud` as a child process for tests (build it first: ensureBuilt, processes.ts): start
 * on free ports (port 0; the bound ones come from the ready line), a small HTTP client with the session
 * cookie, and an SSE reader; and the same cloud started in-process (startCloudInProcess).
 */
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningCloud, StartCloudOptions } from "../../cloud/src/server/start-cloud.js";
import { testLog } from "./log.js";
import { ROOT, spawnNode, waitForOutput, type ChildRun } from "./processes.js";
import { until } from "./wait.js";

const BIN = join(ROOT, "cloud/bin/loa-cloud.js");

export interface CloudProcess extends ChildRun {
  httpUrl: string;
  mqttPort: number;
}

/** The environment without any LOA_* / MQTT_URL of the machine, plus `env`. */
export function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("LOA_") && k !== "MQTT_URL"));
  return { ...base, LOA_LOG_LEVEL: "warn", ...env };
}

export function runCloud(env: Record<string, string>, args: readonly string[] = []): ChildRun {
  return spawnNode([BIN, ...args], cleanEnv(env));
}

export interface ReadyLine {
  httpUrl: string;
  /** The embedded broker's MQTT port, or "external" with MQTT_URL. */
  mqtt: number | "external";
  ws: number | "off";
  dataDir: string;
}

const READY = /^loa-cloud ready http=(\S+) mqtt=(\d+|external) ws=(\d+|off) data=(.+)$/m;

/** Wait for the ready line of a cloud started with runCloud (either broker mode); throws if it exits first. */
export async function waitForReady(run: ChildRun, timeoutMs = 20_000): Promise<ReadyLine> {
  const [, httpUrl = "", mqtt = "", ws = "", dataDir = ""] = await waitForOutput(run, READY, "loa-cloud's ready line", timeoutMs);
  const num = (v: string) => (/^\d+$/.test(v) ? Number(v) : v);
  return { httpUrl, mqtt: num(mqtt) as ReadyLine["mqtt"], ws: num(ws) as ReadyLine["ws"], dataDir };
}

/**
 * TCP ports a process listens on (Linux: its socket inodes matched against /proc/net/tcp and tcp6), so a
 * test can check what a child really opened, whatever it logs.
 */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      // closed between readdir and readlink
    }
  }
  const ports = new Set<number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols: sl local_address rem_address st ... inode (index 9); st 0A = LISTEN
      const [local, state, inode] = [cols[1], cols[3], cols[9]];
      if (state === "0A" && inode && inodes.has(inode) && local) ports.add(parseInt(local.split(":")[1] ?? "", 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/** Start on 127.0.0.1 with free ports and wait for the ready line. */
export async function startCloudProcess(env: Record<string, string>, timeoutMs = 20_000): Promise<CloudProcess> {
  const run = runCloud({ LOA_HOST: "127.0.0.1", LOA_HTTP_PORT: "0", LOA_MQTT_PORT: "0", LOA_MQTT_WS_PORT: "0", ...env });
  const ready = await waitForReady(run, timeoutMs);
  if (ready.mqtt === "external") {
    run.proc.kill("SIGKILL");
    throw new Error("startCloudProcess is for the embedded broker; with MQTT_URL use runCloud and waitForReady");
  }
  return { ...run, httpUrl: ready.httpUrl, mqttPort: ready.mqtt };
}

/** `until` with the (probe, what) order and the 8 s default that this helper's callers were written for. */
export function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, ms = 8000): Promise<T> {
  return until(what, probe, ms);
}

export interface SseEvent {
  event: string;
  data: unknown;
  id?: string;
}

/** Read an SSE stream in the background; `events` fills as frames arrive. */
export async function openSse(url: string, headers: Record<string, string>): Promise<{ events: SseEvent[]; raw(): string; close(): void; status: number; contentType: string | null }> {
  const ctrl = new AbortController();
  const res = await fetch(url, { headers: { Accept: "text/event-stream", ...headers }, signal: ctrl.signal });
  const events: SseEvent[] = [];
  let raw = "";
  let buf = "";
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for (;;) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) return;
        const text = decoder.decode(chunk.value, { stream: true });
        raw += text;
        buf += text;
        let end: number;
        while ((end = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const ev = parseBlock(block);
          if (ev) events.push(ev);
        }
      }
    } catch {
      // aborted
    }
  })();
  return { events, raw: () => raw, close: () => ctrl.abort(), status: res.status, contentType: res.headers.get("content-type") };
}

function parseBlock(block: string): SseEvent | undefined {
  let event = "message";
  let data = "";
  let id: string | undefined;
  for (const line of block.split("\n")) {
    if (line.startsWith("event: ")) event = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
    else if (line.startsWith("id: ")) id = line.slice(4);
  }
  if (data === "") return undefined;
  return { event, data: JSON.parse(data) as unknown, ...(id !== undefined ? { id } : {}) };
}

/** The first admin's password of every cloud startCloudInProcess starts (user `admin`). */
export const IN_PROCESS_ADMIN_PASSWORD = "mat-khau-quan-tri-1";

export interface InProcessCloud {
  cloud: RunningCloud;
  dataDir: string;
  /** Password of the first admin (`admin`). */
  adminPassword: string;
  /** Close the cloud and delete its data dir. */
  close(): Promise<void>;
}

/**
 * The whole cloud as `loa-cloud` assembles it (startCloud: every route module, delivery included), but in
 * this process: embedded broker on a free port, no WebSocket listener, a temp data dir, cheap scrypt, logs
 * at LOA_TEST_LOG's level (silent by default). `opts.delivery` swaps the delivery factory (as startCloud's).
 * startCloud is imported on call, so tests that only spawn the binary do not load the cloud's code.
 */
export async function startCloudInProcess(env: Record<string, string> = {}, opts: Pick<StartCloudOptions, "delivery"> = {}): Promise<InProcessCloud> {
  const { startCloud } = await import("../../cloud/src/server/start-cloud.js");
  const { loadCloudConfig } = await import("../../cloud/src/config.js");
  const dataDir = await mkdtemp(join(tmpdir(), "loa-cloud-inproc-"));
  const adminPassword = IN_PROCESS_ADMIN_PASSWORD;
  const config = loadCloudConfig({
    env: { LOA_HOST: "127.0.0.1", LOA_HTTP_PORT: "0", LOA_MQTT_PORT: "0", LOA_MQTT_WS_PORT: "off", LOA_DATA_DIR: dataDir, LOA_ADMIN_PASSWORD: adminPassword, ...env },
  });
  try {
    const cloud = await startCloud(config, { log: testLog, passwordCost: { N: 1024, r: 8, p: 1 }, ...opts });
    return { cloud, dataDir, adminPassword, close: () => cloud.close().finally(() => rm(dataDir, { recursive: true, force: true })) };
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}
